package embtune.loss;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The two reranker losses, named as ms-swift's {@code --loss_type} names them. */
public enum RerankerLossType {
    POINTWISE("pointwise_reranker", "binary cross-entropy on each (query, document) score"),
    LISTWISE("listwise_reranker", "softmax cross-entropy picking the positive in each query's group");

    private final String id;
    private final String summary;

    RerankerLossType(String id, String summary) {
        this.id = id;
        this.summary = summary;
    }

    public String id() {
        return id;
    }

    public String summary() {
        return summary;
    }

    /** The loss, with the listwise settings from {@code options}. */
    public RerankerLoss create(RerankerOptions options) {
        return this == POINTWISE ? new PointwiseRerankerLoss()
                : new ListwiseRerankerLoss(options.listwiseTemperature(), options.listwiseMinGroupSize());
    }

    /** Accepts ms-swift names in either case or with dashes. */
    public static RerankerLossType parse(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (RerankerLossType t : values()) if (t.id.equals(key)) return t;
        throw new IllegalArgumentException("unknown reranker loss '" + name + "'; choose one of "
                + Arrays.stream(values()).map(RerankerLossType::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id;
    }
}
