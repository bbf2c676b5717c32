package embtune.eval;

/** Small vector helpers for metrics computed on the host in double precision. */
final class Vectors {
    private Vectors() {}

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    static double norm(float[] a) {
        return Math.sqrt(dot(a, a));
    }

    static double cosine(float[] a, float[] b) {
        return dot(a, b) / (norm(a) * norm(b));
    }

    static double euclidean(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) { double d = (double) a[i] - b[i]; s += d * d; }
        return Math.sqrt(s);
    }

    static double manhattan(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += Math.abs((double) a[i] - b[i]);
        return s;
    }

    /** Rows scaled to unit length (what the model's Normalize module outputs). */
    static float[][] normalized(float[][] rows) {
        float[][] out = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            double n = Math.max(norm(rows[i]), 1e-12);
            out[i] = new float[rows[i].length];
            for (int j = 0; j < rows[i].length; j++) out[i][j] = (float) (rows[i][j] / n);
        }
        return out;
    }
}
