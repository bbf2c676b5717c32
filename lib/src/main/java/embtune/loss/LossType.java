package embtune.loss;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The four embedding losses, named as ms-swift's {@code --loss_type} names them. */
public enum LossType {
    COSINE_SIMILARITY("cosine_similarity", "MSE between cos(u,v) and a score in [0,1]"),
    CONTRASTIVE("contrastive", "pull 1-pairs together, push 0-pairs beyond a cosine-distance margin"),
    ONLINE_CONTRASTIVE("online_contrastive", "contrastive on the hard pairs of each batch only"),
    INFONCE("infonce", "softmax over the positive against in-batch and hard negatives");

    private final String id;
    private final String summary;

    LossType(String id, String summary) {
        this.id = id;
        this.summary = summary;
    }

    /** The ms-swift name, e.g. {@code "infonce"}. */
    public String id() {
        return id;
    }

    public String summary() {
        return summary;
    }

    /** Pair losses read rows as (u, v) pairs with one label each and take no negatives. */
    public boolean isPairLoss() {
        return this != INFONCE;
    }

    /** Accepts ms-swift names in either case or with dashes ({@code online-contrastive}). */
    public static LossType parse(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (LossType t : values()) if (t.id.equals(key)) return t;
        throw new IllegalArgumentException("unknown loss '" + name + "'; choose one of "
                + Arrays.stream(values()).map(LossType::id).collect(Collectors.joining(", ")) + " or auto");
    }

    @Override
    public String toString() {
        return id;
    }
}
