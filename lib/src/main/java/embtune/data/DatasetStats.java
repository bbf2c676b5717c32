package embtune.data;

/**
 * Counts that decide the data kind and the loss rules: how many rows carry labels, how many of
 * those are exactly 0, exactly 1 or in between, and how many rows have hard negatives.
 */
public record DatasetStats(int rows, int labelled, int zeros, int ones, int fractional,
                           float minLabel, float maxLabel, double meanLabel,
                           int rowsWithNegatives, int minNegatives, int maxNegatives) {

    static DatasetStats of(Dataset d) {
        int labelled = 0, zeros = 0, ones = 0, fractional = 0, withNeg = 0;
        int minNeg = Integer.MAX_VALUE, maxNeg = 0;
        float min = Float.NaN, max = Float.NaN;
        double sum = 0;
        for (int i = 0; i < d.size(); i++) {
            float y = d.labelAt(i);
            if (!Float.isNaN(y)) {
                labelled++;
                sum += y;
                if (y == 0f) zeros++;
                else if (y == 1f) ones++;
                else fractional++;
                min = Float.isNaN(min) ? y : Math.min(min, y);
                max = Float.isNaN(max) ? y : Math.max(max, y);
            }
            int k = d.negativeCountAt(i);
            if (k > 0) withNeg++;
            minNeg = Math.min(minNeg, k);
            maxNeg = Math.max(maxNeg, k);
        }
        if (d.size() == 0) minNeg = 0;
        return new DatasetStats(d.size(), labelled, zeros, ones, fractional, min, max,
                labelled == 0 ? Double.NaN : sum / labelled, withNeg, minNeg, maxNeg);
    }

    /** The data-type table's row for these counts. */
    public DataKind kind() {
        if (rowsWithNegatives > 0) return DataKind.HARD_NEGATIVES;
        if (labelled == 0 || ones == labelled) return DataKind.POSITIVES_ONLY;
        if (fractional == 0) return DataKind.BINARY_LABELS;
        return DataKind.SCORES;
    }

    public boolean hasLabels() {
        return labelled > 0;
    }
}
