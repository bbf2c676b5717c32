package embtune.loss;

import java.util.Map;

/**
 * ms-swift's reranker settings, read from the environment variables ms-swift reads, with its
 * defaults:
 *
 * @param maxPositives        MAX_POSITIVE_SAMPLES (1): positives drawn per data row, each starting a group
 * @param maxNegatives        MAX_NEGATIVE_SAMPLES (7): negatives drawn into each of those groups
 * @param listwiseTemperature LISTWISE_RERANKER_TEMPERATURE (1.0): listwise logits = score / T
 * @param listwiseMinGroupSize LISTWISE_RERANKER_MIN_GROUP_SIZE (2): smaller groups add no loss
 * @param positiveToken       GENERATIVE_RERANKER_POSITIVE_TOKEN ("yes")
 * @param negativeToken       GENERATIVE_RERANKER_NEGATIVE_TOKEN ("no"): a generative reranker's
 *                            score is logit(positive) - logit(negative) at the last token
 */
public record RerankerOptions(int maxPositives, int maxNegatives, double listwiseTemperature, int listwiseMinGroupSize,
                              String positiveToken, String negativeToken) {

    public RerankerOptions {
        if (maxPositives < 1) throw new IllegalArgumentException("MAX_POSITIVE_SAMPLES must be >= 1, got " + maxPositives);
        if (maxNegatives < 0) throw new IllegalArgumentException("MAX_NEGATIVE_SAMPLES must be >= 0, got " + maxNegatives);
        if (!(listwiseTemperature > 0))
            throw new IllegalArgumentException("LISTWISE_RERANKER_TEMPERATURE must be > 0, got " + listwiseTemperature);
    }

    public static RerankerOptions defaults() {
        return new RerankerOptions(1, 7, 1.0, 2, "yes", "no");
    }

    public static RerankerOptions fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    public static RerankerOptions fromEnvironment(Map<String, String> env) {
        RerankerOptions d = defaults();
        return new RerankerOptions(
                integer(env, "MAX_POSITIVE_SAMPLES", d.maxPositives),
                integer(env, "MAX_NEGATIVE_SAMPLES", d.maxNegatives),
                InfoNceOptions.number(env, "LISTWISE_RERANKER_TEMPERATURE", d.listwiseTemperature),
                integer(env, "LISTWISE_RERANKER_MIN_GROUP_SIZE", d.listwiseMinGroupSize),
                text(env, "GENERATIVE_RERANKER_POSITIVE_TOKEN", d.positiveToken),
                text(env, "GENERATIVE_RERANKER_NEGATIVE_TOKEN", d.negativeToken));
    }

    private static String text(Map<String, String> env, String name, String def) {
        String v = env.get(name);
        return v == null || v.isEmpty() ? def : v;
    }

    private static int integer(Map<String, String> env, String name, int def) {
        String v = env.get(name);
        return v == null || v.isBlank() ? def : InfoNceOptions.parseInt(name, v);
    }
}
