package embtune.data;

/**
 * What a data set is, read off its labels and negatives: the row of the data-type table that
 * decides which loss can learn from it.
 */
public enum DataKind {
    /** Anchor/positive pairs with no labels (or all labels 1): learn by ranking, in-batch negatives. */
    POSITIVES_ONLY("positives only"),
    /** Anchor/positive plus hard negatives per row. */
    HARD_NEGATIVES("positives with hard negatives"),
    /** Pairs labelled exactly 0 or 1 (dissimilar / similar). */
    BINARY_LABELS("0/1 labelled pairs"),
    /** Pairs with a similarity score anywhere in [0,1]. */
    SCORES("scores in [0,1]");

    private final String description;

    DataKind(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return description;
    }
}
