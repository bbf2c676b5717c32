package embtune.mine;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The selection rules on hand-made candidate lists, each expectation worked out from sentence-transformers' code. */
class NegativeRulesTest {
    // one query: its positive is document 7 (score 0.80); candidates nearest first
    static final int[] IDS = {3, 7, 1, 9, 4, 0, 8, 2};
    static final float[] SCORES = {0.95f, 0.80f, 0.78f, 0.75f, 0.70f, 0.50f, -0.10f, -0.30f};
    static final int[] POS = {7};

    static int[] pick(NegativeRules r) {
        return r.pick(IDS, SCORES, POS, 0.80f, 1, NegativeRules.random(42, 0), null).ids();
    }

    @Test
    void topTakesTheNearestNonPositives() {
        assertArrayEquals(new int[] {3, 1, 9}, pick(NegativeRules.defaults()));
        NegativeRules.Picked p = NegativeRules.defaults().pick(IDS, SCORES, POS, 0.80f, 1, null, null);
        assertArrayEquals(new float[] {0.95f, 0.78f, 0.75f}, p.scores());
    }

    @Test
    void marginsCompareWithThePositiveScore() {
        // absolute 0: score + 0 > 0.80 drops 0.95 only
        assertArrayEquals(new int[] {1, 9, 4}, pick(NegativeRules.defaults().absoluteMargin(0.0)));
        // absolute 0.05: score > 0.75 drops 0.95 and 0.78; 0.75 + 0.05 = 0.80 is not above 0.80 (float32), kept
        assertArrayEquals(new int[] {9, 4, 0}, pick(NegativeRules.defaults().absoluteMargin(0.05)));
        // relative 0.1: threshold 0.80 - 0.08 = 0.72
        assertArrayEquals(new int[] {4, 0, 8}, pick(NegativeRules.defaults().relativeMargin(0.1)));
    }

    @Test
    void relativeMarginUsesTheMagnitudeOfANegativePositive() {
        // positive -0.2, relative 0.5: threshold -0.2 - 0.1 = -0.3 (not -0.1, which (1 - margin) would give)
        NegativeRules r = NegativeRules.defaults().relativeMargin(0.5).numNegatives(1);
        assertArrayEquals(new int[] {2}, r.pick(IDS, SCORES, POS, -0.2f, 1, null, null).ids());
    }

    @Test
    void scoreBoundsAndRangesCountAfterTheFilters() {
        assertArrayEquals(new int[] {4, 0, 8}, pick(NegativeRules.defaults().maxScore(0.72)));
        assertArrayEquals(new int[] {3, 1, 9, 4}, pick(NegativeRules.defaults().minScore(0.6).numNegatives(5).rangeMax(8)));
        // range_min 2 skips the two best survivors (3 and 1; the positive is not counted)
        assertArrayEquals(new int[] {9, 4}, pick(NegativeRules.defaults().rangeMin(2).rangeMax(4).numNegatives(2)));
        // range_max 3 of the survivors: fewer than num_negatives when range_min eats into it
        assertArrayEquals(new int[] {1, 9}, pick(NegativeRules.defaults().rangeMin(1).rangeMax(3).numNegatives(2)));
    }

    @Test
    void derivedRangeMaxFollowsSentenceTransformers() {
        assertEquals(0 + 3 + 1, NegativeRules.defaults().rangeMaxFor(1));
        assertEquals(2 + 30 + 2, NegativeRules.defaults().rangeMin(2).relativeMargin(0.05).rangeMaxFor(2));
        assertEquals(5 + 3 + 1, NegativeRules.defaults().rangeMin(5).minScore(0.1).rangeMaxFor(1)); // min_score does not widen it
        assertEquals(4 + 1, NegativeRules.defaults().candidates(1));
    }

    @Test
    void includePositivesKeepsThem() {
        assertArrayEquals(new int[] {3, 7, 1}, pick(NegativeRules.defaults().includePositives(true)));
    }

    @Test
    void randomSamplesThePoolSeededAndSortsBestFirst() {
        NegativeRules r = NegativeRules.defaults().strategy(NegativeRules.Strategy.RANDOM).rangeMax(7).numNegatives(3);
        int[] a = pick(r), b = pick(r);
        assertArrayEquals(a, b, "same seed, same sample");
        java.util.Set<Integer> pool = java.util.Set.of(3, 1, 9, 4, 0, 8, 2);
        for (int id : a) assertTrue(pool.contains(id));
        float[] s = r.pick(IDS, SCORES, POS, 0.8f, 1, NegativeRules.random(42, 0), null).scores();
        for (int i = 1; i < s.length; i++) assertTrue(s[i - 1] >= s[i], Arrays.toString(s));
        // over many queries every pool member is drawn: a sample, not the top
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int q = 0; q < 50; q++) for (int id : r.pick(IDS, SCORES, POS, 0.8f, 1, NegativeRules.random(42, q), null).ids()) seen.add(id);
        assertEquals(pool, seen);
    }

    @Test
    void skipsAreCountedPerRule() {
        NegativeRules.Skipped s = new NegativeRules.Skipped();
        NegativeRules.defaults().absoluteMargin(0.0).maxScore(0.76).minScore(0.0).rangeMax(8).pick(IDS, SCORES, POS, 0.8f, 1, null, s);
        assertEquals(1, s.positives);
        assertEquals(1, s.absoluteMargin); // 0.95
        assertEquals(1, s.maxScore);       // 0.78
        assertEquals(2, s.minScore);       // -0.10, -0.30
    }

    @Test
    void badSettingsAreRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> NegativeRules.defaults().rangeMin(5).rangeMax(3).check());
        assertTrue(e.getMessage().contains("range_min (5) must be smaller than range_max (3)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NegativeRules.defaults().numNegatives(0));
        assertThrows(IllegalArgumentException.class, () -> NegativeRules.defaults().rangeMin(-1));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NegativeRules.defaults().rangeMax(4).rangeMin(2).numNegatives(3).candidates(1))
                .getMessage().contains("num_negatives"));
        assertThrows(IllegalArgumentException.class, () -> NegativeRules.defaults().minScore(0.5).maxScore(0.2).check());
        assertThrows(IllegalArgumentException.class, () -> NegativeRules.Strategy.parse("best"));
        // the fluent calls may come in any order: only the finished rules are checked
        assertEquals(2, NegativeRules.defaults().rangeMax(2).numNegatives(1).rangeMaxFor(1));
    }
}
