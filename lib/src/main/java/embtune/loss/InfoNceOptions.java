package embtune.loss;

import java.util.Locale;
import java.util.Map;

/**
 * ms-swift's InfoNCE settings. Read from the same environment variables ms-swift uses
 * (INFONCE_TEMPERATURE, INFONCE_USE_BATCH, INFONCE_HARD_NEGATIVES, INFONCE_MASK_FAKE_NEGATIVE,
 * INFONCE_FAKE_NEG_MARGIN, INFONCE_INCLUDE_QQ, INFONCE_INCLUDE_DD), with ms-swift's current
 * defaults; a command-line flag beats the environment.
 *
 * @param temperature  logits = cosine / T (0.1; scale 1/T in sentence-transformers terms)
 * @param useBatch     every other row of the batch is a negative too (true)
 * @param hardNegatives force exactly n hard negatives per group: keep the first n, or draw the
 *                      missing ones with replacement from the group's own negatives (null = as given)
 * @param maskFakeNegative drop negatives more similar to the query than positive + margin
 * @param fakeNegMargin that margin (0.1)
 * @param includeQQ    other queries join the denominator
 * @param includeDD    documents similar to the positive join the denominator
 */
public record InfoNceOptions(double temperature, boolean useBatch, Integer hardNegatives, boolean maskFakeNegative,
                             double fakeNegMargin, boolean includeQQ, boolean includeDD) {

    public static InfoNceOptions defaults() {
        return new InfoNceOptions(0.1, true, null, false, 0.1, false, false);
    }

    public static InfoNceOptions fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    public static InfoNceOptions fromEnvironment(Map<String, String> env) {
        InfoNceOptions d = defaults();
        String hn = env.get("INFONCE_HARD_NEGATIVES");
        return new InfoNceOptions(
                number(env, "INFONCE_TEMPERATURE", d.temperature),
                bool(env, "INFONCE_USE_BATCH", d.useBatch),
                hn == null || hn.isBlank() ? null : parseInt("INFONCE_HARD_NEGATIVES", hn),
                bool(env, "INFONCE_MASK_FAKE_NEGATIVE", d.maskFakeNegative),
                number(env, "INFONCE_FAKE_NEG_MARGIN", d.fakeNegMargin),
                bool(env, "INFONCE_INCLUDE_QQ", d.includeQQ),
                bool(env, "INFONCE_INCLUDE_DD", d.includeDD));
    }

    public InfoNceOptions temperature(double t) {
        if (!(t > 0)) throw new IllegalArgumentException("INFONCE temperature must be > 0, got " + t);
        return new InfoNceOptions(t, useBatch, hardNegatives, maskFakeNegative, fakeNegMargin, includeQQ, includeDD);
    }

    public InfoNceOptions useBatch(boolean b) {
        return new InfoNceOptions(temperature, b, hardNegatives, maskFakeNegative, fakeNegMargin, includeQQ, includeDD);
    }

    public InfoNceOptions hardNegatives(Integer n) {
        if (n != null && n < 1) throw new IllegalArgumentException("hard negatives must be >= 1, got " + n);
        return new InfoNceOptions(temperature, useBatch, n, maskFakeNegative, fakeNegMargin, includeQQ, includeDD);
    }

    public InfoNceOptions maskFakeNegative(boolean b) {
        return new InfoNceOptions(temperature, useBatch, hardNegatives, b, fakeNegMargin, includeQQ, includeDD);
    }

    public InfoNceOptions fakeNegMargin(double m) {
        return new InfoNceOptions(temperature, useBatch, hardNegatives, maskFakeNegative, m, includeQQ, includeDD);
    }

    public InfoNceOptions includeQQ(boolean b) {
        return new InfoNceOptions(temperature, useBatch, hardNegatives, maskFakeNegative, fakeNegMargin, b, includeDD);
    }

    public InfoNceOptions includeDD(boolean b) {
        return new InfoNceOptions(temperature, useBatch, hardNegatives, maskFakeNegative, fakeNegMargin, includeQQ, b);
    }

    /** Python's strtobool, as ms-swift parses these variables. */
    static boolean bool(Map<String, String> env, String name, boolean def) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return def;
        switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "y", "yes", "t", "true", "on", "1": return true;
            case "n", "no", "f", "false", "off", "0": return false;
            default: throw new IllegalArgumentException(name + "='" + v + "' is not a boolean (true/false, 1/0, yes/no)");
        }
    }

    static double number(Map<String, String> env, String name, double def) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return def;
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "='" + v + "' is not a number");
        }
    }

    static int parseInt(String name, String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "='" + v + "' is not an integer");
        }
    }
}
