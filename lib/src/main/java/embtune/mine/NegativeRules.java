package embtune.mine;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Which of a query's nearest documents become its hard negatives: the rules of
 * sentence-transformers' {@code mine_hard_negatives}, same names, same meaning, one query at a time.
 * Pure (no model, no I/O, no state), so a local miner and a distributed one share it.
 *
 * <p>Per query, the search hands over its {@link #candidates(int)} nearest documents, best first.
 * Then, in this order:
 * <ol>
 *   <li>the query's own positives leave the list (unless {@code include_positives});
 *   <li>{@code absolute_margin} m drops a candidate with {@code score + m > positive};
 *   <li>{@code relative_margin} r drops one with {@code score > positive - |positive| * r};
 *   <li>{@code max_score} drops {@code score > max_score}, {@code min_score} drops {@code score < min_score};
 *   <li>of what is left, ranks {@code [range_min, range_max)} are the pool, counted after the filters;
 *   <li>{@code top} takes the first {@code num_negatives} of the pool, {@code random} a seeded sample of it,
 *       re-sorted best first. Fewer survivors than {@code num_negatives} gives fewer negatives.
 * </ol>
 * With several positives, "positive" is the lowest of their scores (the safe side: the hardest
 * positive). Arithmetic is float32, as sentence-transformers' tensors are, so a threshold cuts where
 * theirs does.
 */
public record NegativeRules(int rangeMin, Integer rangeMax, Double maxScore, Double minScore, Double absoluteMargin,
                            Double relativeMargin, int numNegatives, Strategy strategy, boolean includePositives)
        implements Serializable {

    /** {@code sampling_strategy}: the hardest survivors, or a random sample of the pool. */
    public enum Strategy {
        TOP, RANDOM;

        public static Strategy parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "top" -> TOP;
                case "random" -> RANDOM;
                default -> throw new IllegalArgumentException("sampling_strategy must be top or random, not '" + s + "'");
            };
        }
    }

    public NegativeRules {
        if (strategy == null) strategy = Strategy.TOP;
        if (rangeMin < 0) throw new IllegalArgumentException("range_min must be 0 or more, not " + rangeMin);
        if (numNegatives < 1) throw new IllegalArgumentException("num_negatives must be at least 1, not " + numNegatives);
        if (rangeMax != null && rangeMax < 1) throw new IllegalArgumentException("range_max must be at least 1, not " + rangeMax);
    }

    /**
     * Throws, naming the settings, if they contradict each other (checked here, not when each is
     * set, so the fluent calls may come in any order).
     */
    public NegativeRules check() {
        if (rangeMax != null && rangeMin >= rangeMax)
            throw new IllegalArgumentException("range_min (" + rangeMin + ") must be smaller than range_max (" + rangeMax + ")");
        if (rangeMax != null && numNegatives > rangeMax - rangeMin)
            throw new IllegalArgumentException("num_negatives " + numNegatives + " does not fit: range_min " + rangeMin + " .. range_max "
                    + rangeMax + " leaves " + (rangeMax - rangeMin) + " candidates");
        if (maxScore != null && minScore != null && minScore > maxScore)
            throw new IllegalArgumentException("min_score (" + minScore + ") is above max_score (" + maxScore + "): no candidate could pass");
        return this;
    }

    /** sentence-transformers' defaults: the 3 nearest non-positives, no thresholds. */
    public static NegativeRules defaults() {
        return new NegativeRules(0, null, null, null, null, null, 3, Strategy.TOP, false);
    }

    public NegativeRules rangeMin(int v) { return new NegativeRules(v, rangeMax, maxScore, minScore, absoluteMargin, relativeMargin, numNegatives, strategy, includePositives); }
    public NegativeRules rangeMax(Integer v) { return new NegativeRules(rangeMin, v, maxScore, minScore, absoluteMargin, relativeMargin, numNegatives, strategy, includePositives); }
    public NegativeRules maxScore(Double v) { return new NegativeRules(rangeMin, rangeMax, v, minScore, absoluteMargin, relativeMargin, numNegatives, strategy, includePositives); }
    public NegativeRules minScore(Double v) { return new NegativeRules(rangeMin, rangeMax, maxScore, v, absoluteMargin, relativeMargin, numNegatives, strategy, includePositives); }
    public NegativeRules absoluteMargin(Double v) { return new NegativeRules(rangeMin, rangeMax, maxScore, minScore, v, relativeMargin, numNegatives, strategy, includePositives); }
    public NegativeRules relativeMargin(Double v) { return new NegativeRules(rangeMin, rangeMax, maxScore, minScore, absoluteMargin, v, numNegatives, strategy, includePositives); }
    public NegativeRules numNegatives(int v) { return new NegativeRules(rangeMin, rangeMax, maxScore, minScore, absoluteMargin, relativeMargin, v, strategy, includePositives); }
    public NegativeRules strategy(Strategy v) { return new NegativeRules(rangeMin, rangeMax, maxScore, minScore, absoluteMargin, relativeMargin, numNegatives, v, includePositives); }
    public NegativeRules includePositives(boolean v) { return new NegativeRules(rangeMin, rangeMax, maxScore, minScore, absoluteMargin, relativeMargin, numNegatives, strategy, v); }

    /**
     * range_max as used: the given one, else room for the negatives past range_min and the
     * positives, ten times the negatives when a margin or max_score will throw candidates away
     * (sentence-transformers' rule; min_score does not count there, in theirs either).
     */
    public int rangeMaxFor(int maxPositives) {
        check();
        if (rangeMax != null) return rangeMax;
        return rangeMin + (thresholded() ? numNegatives * 10 : numNegatives) + maxPositives;
    }

    /**
     * Whether a margin or max_score will throw candidates away: then range_max grows, and a
     * reranker rescores the candidates. min_score does not count (in sentence-transformers either).
     */
    public boolean thresholded() {
        return absoluteMargin != null || relativeMargin != null || maxScore != null;
    }

    /** How many nearest documents the search returns per query: range_max, plus room for the positives it will drop. */
    public int candidates(int maxPositives) {
        return rangeMaxFor(maxPositives) + maxPositives;
    }

    /** The negatives of one query, best first: corpus ids and their scores. */
    public record Picked(int[] ids, float[] scores) implements Serializable {
        public int size() { return ids.length; }

        @Override
        public String toString() {
            return "Picked" + Arrays.toString(ids) + " scores " + Arrays.toString(scores);
        }
    }

    /** How many candidates each rule threw away (sentence-transformers' "Skipped N potential negatives"). */
    public static final class Skipped implements Serializable {
        public long positives, absoluteMargin, relativeMargin, maxScore, minScore;

        public void add(Skipped o) {
            positives += o.positives;
            absoluteMargin += o.absoluteMargin;
            relativeMargin += o.relativeMargin;
            maxScore += o.maxScore;
            minScore += o.minScore;
        }

        @Override
        public String toString() {
            return String.format("skipped: %,d positives, %,d by absolute_margin, %,d by relative_margin, %,d by max_score, %,d by min_score",
                    positives, absoluteMargin, relativeMargin, maxScore, minScore);
        }
    }

    /**
     * Picks one query's negatives.
     *
     * @param ids           candidate corpus ids, nearest first (the search's top {@link #candidates(int)})
     * @param scores        their similarities to the query, descending
     * @param positives     the query's positive corpus ids
     * @param positiveScore the lowest similarity of the query to its positives (the margins' reference)
     * @param maxPositives  the most positives any query has (fixes range_max when it is derived)
     * @param random        draws the {@code random} sample; unused by {@code top}
     * @param skipped       counts what each rule dropped (may be null)
     */
    public Picked pick(int[] ids, float[] scores, int[] positives, float positiveScore, int maxPositives, Random random, Skipped skipped) {
        if (ids.length != scores.length) throw new IllegalArgumentException(ids.length + " ids but " + scores.length + " scores");
        Skipped count = skipped != null ? skipped : new Skipped();
        float relThreshold = relativeMargin == null ? Float.NaN : positiveScore - Math.abs(positiveScore) * relativeMargin.floatValue();
        List<Integer> survivors = new ArrayList<>(); // positions in ids, still best first
        for (int i = 0; i < ids.length; i++) {
            float s = scores[i];
            if (!includePositives && contains(positives, ids[i])) { count.positives++; continue; }
            if (absoluteMargin != null && s + absoluteMargin.floatValue() > positiveScore) { count.absoluteMargin++; continue; }
            if (relativeMargin != null && s > relThreshold) { count.relativeMargin++; continue; }
            if (maxScore != null && s > maxScore.floatValue()) { count.maxScore++; continue; }
            if (minScore != null && s < minScore.floatValue()) { count.minScore++; continue; }
            survivors.add(i);
        }
        // the pool: ranks [range_min, range_max) of the survivors
        int to = Math.min(survivors.size(), rangeMaxFor(maxPositives));
        List<Integer> pool = rangeMin >= to ? List.of() : survivors.subList(rangeMin, to);
        List<Integer> chosen;
        if (strategy == Strategy.TOP || pool.size() <= numNegatives) {
            chosen = pool.subList(0, Math.min(numNegatives, pool.size()));
        } else {
            chosen = new ArrayList<>(pool);
            // partial Fisher-Yates: the first numNegatives entries become a uniform sample without replacement
            for (int i = 0; i < numNegatives; i++) java.util.Collections.swap(chosen, i, i + random.nextInt(chosen.size() - i));
            chosen = new ArrayList<>(chosen.subList(0, numNegatives));
            chosen.sort(null); // positions ascend = scores descend: best first again
        }
        int[] outIds = new int[chosen.size()];
        float[] outScores = new float[chosen.size()];
        for (int k = 0; k < outIds.length; k++) {
            outIds[k] = ids[chosen.get(k)];
            outScores[k] = scores[chosen.get(k)];
        }
        return new Picked(outIds, outScores);
    }

    /**
     * The random source of query {@code q} for the {@code random} strategy: one stream per query,
     * so the picks do not depend on which queries ran before it, or where (a partition elsewhere).
     */
    public static Random random(long seed, long q) {
        // java.util.Random's first draws from neighbouring seeds are alike: mix (seed, q) first (SplitMix64's finaliser)
        long z = seed * 0x9E3779B97F4A7C15L + q;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return new Random(z ^ (z >>> 31));
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("NegativeRules: ").append(numNegatives).append(" negatives, ")
                .append(strategy.name().toLowerCase(java.util.Locale.ROOT)).append(", ranks ").append(rangeMin).append("..")
                .append(rangeMax == null ? "auto" : rangeMax);
        if (absoluteMargin != null) sb.append(", absolute_margin ").append(absoluteMargin);
        if (relativeMargin != null) sb.append(", relative_margin ").append(relativeMargin);
        if (maxScore != null) sb.append(", max_score ").append(maxScore);
        if (minScore != null) sb.append(", min_score ").append(minScore);
        if (includePositives) sb.append(", positives included");
        return sb.toString();
    }
}
