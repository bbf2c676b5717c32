package embtune.mine;

/**
 * The k nearest documents of each query, nearest first: corpus ids and similarities. A row is
 * shorter than k when the corpus is.
 */
public record Neighbours(int[][] ids, float[][] scores) {
    public int size() {
        return ids.length;
    }

    /**
     * Merges two best-first lists into the best {@code k}; on equal scores the lower id comes
     * first, as one top-k over the whole row would order them.
     */
    public static void merge(int[] aIds, float[] aScores, int[] bIds, float[] bScores, int k, int[] outIds, float[] outScores) {
        int i = 0, j = 0, n = 0;
        while (n < k && (i < aIds.length || j < bIds.length)) {
            boolean takeA = j >= bIds.length || i < aIds.length
                    && (aScores[i] > bScores[j] || aScores[i] == bScores[j] && aIds[i] < bIds[j]);
            if (takeA) { outIds[n] = aIds[i]; outScores[n++] = aScores[i++]; }
            else { outIds[n] = bIds[j]; outScores[n++] = bScores[j++]; }
        }
    }
}
