package embtune.loss;

import java.util.Arrays;
import java.util.Random;

/**
 * How the rows of an embedding batch are laid out, ms-swift style. Pair losses read
 * {@code [u0, v0, u1, v1, ...]} with one label per pair; InfoNCE reads groups
 * {@code [q, p, n_1..n_k]} whose negative counts are given explicitly (ms-swift infers them from
 * labels, which breaks when a positive is labelled 0).
 */
public record Layout(float[] labels, int[] groupNegatives, Random sampling) {
    public static Layout pairs(float... labels) {
        return new Layout(labels, null, null);
    }

    public static Layout groups(int... negatives) {
        return new Layout(null, negatives, null);
    }

    /**
     * The same layout with the generator this batch's random draws come from (the trainer hands
     * each step its own stream; without one a loss uses its own generator).
     */
    public Layout sampling(Random r) {
        return new Layout(labels, groupNegatives, r);
    }

    public boolean isPairs() {
        return groupNegatives == null;
    }

    /** Rows this layout describes. */
    public int rows() {
        if (isPairs()) return labels.length * 2;
        int n = 0;
        for (int k : groupNegatives) n += k + 2;
        return n;
    }

    @Override
    public String toString() {
        return isPairs() ? "pairs" + Arrays.toString(labels) : "groups(negatives=" + Arrays.toString(groupNegatives) + ")";
    }
}
