package embtune.data;

import embtune.loss.LossType;

/**
 * The data-type table: which loss a kind of data can feed, and the rules that make an explicit
 * choice an error.
 *
 * <pre>
 *  data                         recommended          also possible
 *  positives only               infonce              -
 *  positives + hard negatives   infonce              -
 *  0/1 labelled pairs           contrastive          online_contrastive, cosine_similarity
 *  scores in [0,1]              cosine_similarity    -
 * </pre>
 */
public final class LossTable {
    private LossTable() {}

    /** A loss picked for a data set, with the sentence that explains the pick. */
    public record Choice(LossType loss, String reason) {
        @Override
        public String toString() {
            return loss.id() + " (" + reason + ")";
        }
    }

    public static Choice recommend(DatasetStats s) {
        return switch (s.kind()) {
            case POSITIVES_ONLY -> new Choice(LossType.INFONCE,
                    "the data has positives only, so other rows of each batch serve as negatives");
            case HARD_NEGATIVES -> new Choice(LossType.INFONCE,
                    "rows carry hard negatives; infonce ranks the positive above them and the batch");
            case BINARY_LABELS -> new Choice(LossType.CONTRASTIVE,
                    "labels are 0/1; contrastive pulls 1-pairs together and pushes 0-pairs apart"
                            + " (online_contrastive also fits)");
            case SCORES -> new Choice(LossType.COSINE_SIMILARITY,
                    "labels are similarity scores in [" + s.minLabel() + ", " + s.maxLabel()
                            + "]; cosine_similarity regresses cos(u,v) onto them");
        };
    }

    /** Throws, naming the rule, if {@code loss} cannot learn from data with these counts. */
    public static void check(LossType loss, DatasetStats s, String dataName) {
        String problem = problem(loss, s);
        if (problem != null) {
            Choice rec = recommend(s);
            throw new IllegalArgumentException(dataName + ": loss " + loss.id() + " cannot use this data: "
                    + problem + ". The data is " + s.kind() + (rec.loss() == loss ? "" : "; recommended: " + rec));
        }
    }

    static String problem(LossType loss, DatasetStats s) {
        if (loss.isPairLoss() && s.rowsWithNegatives() > 0)
            return s.rowsWithNegatives() + " rows have hard negatives, but pair losses read (anchor, positive) only";
        switch (loss) {
            case COSINE_SIMILARITY:
                if (s.labelled() < s.rows())
                    return (s.rows() - s.labelled()) + " rows have no label, and cosine_similarity needs a score on every pair";
                if (s.ones() == s.labelled())
                    return "every label is 1, so cosine_similarity would only push every cosine to 1";
                return null;
            case CONTRASTIVE:
            case ONLINE_CONTRASTIVE:
                if (s.labelled() < s.rows())
                    return (s.rows() - s.labelled()) + " rows have no label, and " + loss.id() + " needs 0/1 on every pair";
                if (s.fractional() > 0)
                    return s.fractional() + " labels are not 0 or 1 (e.g. scores), and " + loss.id()
                            + " treats labels as similar/dissimilar classes";
                if (s.zeros() == 0)
                    return "no pair is labelled 0, so there is nothing to push apart";
                return null;
            case INFONCE:
                if (s.zeros() > 0)
                    return s.zeros() + " rows are labelled 0, but infonce treats every (anchor, positive) as a match";
                return null;
            default:
                throw new AssertionError(loss);
        }
    }
}
