package embtune.vision;

/**
 * Pillow's {@code Image.resize(size, BICUBIC)} for 8-bit RGB, to the byte: a separable convolution,
 * horizontal pass then vertical, with the cubic kernel (a = -0.5) stretched by the scale when
 * shrinking (antialiasing), coefficients normalised per output pixel and held in 22-bit fixed
 * point, and each pass rounded and clipped to 0..255 (libImaging/Resample.c). Matching it exactly
 * keeps resized images as close to transformers' pixels as unresized ones.
 */
public final class PillowResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 2.0;

    private PillowResize() {}

    static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0) x = -x;
        if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
    }

    /** Per output pixel: the first input index, how many inputs, and their fixed-point weights. */
    record Coefficients(int[] first, int[] count, int[][] weights) {}

    static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(1.0, scale);
        double support = SUPPORT * filterScale;
        int[] first = new int[outSize], count = new int[outSize];
        int[][] weights = new int[outSize][];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = Math.max(0, (int) (center - support + 0.5));
            int xmax = Math.min(inSize, (int) (center + support + 0.5)) - xmin;
            double[] k = new double[Math.max(0, xmax)];
            double sum = 0;
            for (int x = 0; x < k.length; x++) {
                k[x] = bicubic((x + xmin - center + 0.5) * ss);
                sum += k[x];
            }
            int[] fixed = new int[k.length];
            for (int x = 0; x < k.length; x++) {
                double w = sum != 0 ? k[x] / sum : k[x];
                fixed[x] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
            }
            first[xx] = xmin;
            count[xx] = k.length;
            weights[xx] = fixed;
        }
        return new Coefficients(first, count, weights);
    }

    static int clip8(long v) {
        if (v >= (1L << PRECISION_BITS << 8)) return 255;
        if (v <= 0) return 0;
        return (int) (v >> PRECISION_BITS);
    }

    public static RgbImage resize(RgbImage in, int width, int height) {
        if (width == in.width() && height == in.height()) return in;
        Coefficients h = coefficients(in.width(), width), v = coefficients(in.height(), height);
        RgbImage cur = in;
        if (width != in.width()) {
            // only the rows the vertical pass reads (Pillow's bounding box), as Pillow does
            int y0 = v.first()[0], y1 = v.first()[height - 1] + v.count()[height - 1];
            if (height == in.height()) {
                y0 = 0;
                y1 = in.height();
            }
            byte[] out = new byte[width * (y1 - y0) * 3];
            for (int y = y0; y < y1; y++)
                for (int xx = 0; xx < width; xx++)
                    for (int c = 0; c < 3; c++) {
                        long ss = 1L << (PRECISION_BITS - 1);
                        int[] k = h.weights()[xx];
                        for (int x = 0; x < k.length; x++) ss += (long) in.at(h.first()[xx] + x, y, c) * k[x];
                        out[((y - y0) * width + xx) * 3 + c] = (byte) clip8(ss);
                    }
            cur = new RgbImage(width, y1 - y0, out);
            if (height == in.height()) return cur;
            int shift = y0;
            int[] first = v.first().clone();
            for (int i = 0; i < first.length; i++) first[i] -= shift;
            v = new Coefficients(first, v.count(), v.weights());
        }
        byte[] out = new byte[width * height * 3];
        for (int yy = 0; yy < height; yy++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++) {
                    long ss = 1L << (PRECISION_BITS - 1);
                    int[] k = v.weights()[yy];
                    for (int y = 0; y < k.length; y++) ss += (long) cur.at(x, v.first()[yy] + y, c) * k[y];
                    out[(yy * width + x) * 3 + c] = (byte) clip8(ss);
                }
        return new RgbImage(width, height, out);
    }
}
