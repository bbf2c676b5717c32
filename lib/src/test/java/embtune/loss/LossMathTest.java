package embtune.loss;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import embtune.model.Pooling;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Worked vectors (numpy, float64, from ms-swift's loss formulas), the hard-negative rule and the option plumbing. */
class LossMathTest {
    static NDManager m;

    @BeforeAll static void open() { m = NDManager.newBaseManager(); }
    @AfterAll static void close() { m.close(); }

    static NDArray rows(double[][] r) {
        return Pooling.l2(m.create(r).toType(DataType.FLOAT64, false));
    }

    // g0 = q(1,0,0) p(0.9,0.1,0) n(0.2,1,0); g1 = q(0,1,0) p(0.6,0.6,0.5) n(0.95,0.3,0)
    static final double[][] GROUPS = {{1, 0, 0}, {0.9, 0.1, 0}, {0.2, 1, 0}, {0, 1, 0}, {0.6, 0.6, 0.5}, {0.95, 0.3, 0}};

    static double infonce(InfoNceOptions o) {
        return new InfoNceLoss(o).compute(rows(GROUPS), Layout.groups(1, 1)).getDouble();
    }

    @Test
    void referenceInfonceVectors() {
        InfoNceOptions d = InfoNceOptions.defaults();
        assertEquals(2.131903, infonce(d), 1e-6);
        assertEquals(0.288064, infonce(d.maskFakeNegative(true)), 1e-6);
        assertEquals(0.022622, infonce(d.useBatch(false)), 1e-6);
        assertEquals(2.451566, infonce(d.includeQQ(true).includeDD(true)), 1e-6);
        assertEquals(18.577457, infonce(d.temperature(0.01)), 1e-5);
    }

    @Test
    void referencePairVectors() {
        // cos = [0.7, 0.8, 0.95, 0.1] via u = e1, v = (c, sqrt(1-c^2), 0)
        double[] cos = {0.7, 0.8, 0.95, 0.1};
        double[][] r = new double[8][];
        for (int i = 0; i < 4; i++) {
            r[2 * i] = new double[] {1, 0, 0};
            r[2 * i + 1] = new double[] {cos[i], Math.sqrt(1 - cos[i] * cos[i]), 0};
        }
        Layout y = Layout.pairs(1, 0, 1, 0);
        assertEquals(0.185625, new CosineSimilarityLoss().compute(rows(r), y).getDouble(), 1e-6);
        assertEquals(0.022813, new ContrastiveLoss(0.5).compute(rows(r), y).getDouble(), 1e-6);
        assertEquals(0.18, new OnlineContrastiveLoss(0.5).compute(rows(r), y).getDouble(), 1e-6);
    }

    @Test
    void hardNegativesKeepTheFirstOrDrawFromNegativesOnly() {
        var g = InfoNceLoss.Groups.of(new int[] {1, 3}, 3, new Random(0));
        assertArrayEquals(new long[] {1, 2, 2, 2}, g.docs()[0]); // the one negative, three times; never the positive (1)
        assertArrayEquals(new long[] {4, 5, 6, 7}, g.docs()[1]);
        var cut = InfoNceLoss.Groups.of(new int[] {3}, 2, new Random(0));
        assertArrayEquals(new long[] {1, 2, 3}, cut.docs()[0]);
        assertThrows(IllegalArgumentException.class, () -> InfoNceLoss.Groups.of(new int[] {0, 2}, 1, new Random(0)));
        assertEquals(8, InfoNceLoss.Groups.of(new int[] {1, 3}, 3, new Random(0)).allDocs().length);
    }

    @Test
    void hardNegativePaddingChangesTheLossAsDuplicatesShould() {
        // forcing 2 negatives on groups with 1 duplicates it: one more (identical) negative logit per group
        double forced = infonce(InfoNceOptions.defaults().useBatch(false).hardNegatives(2));
        assertTrue(forced > infonce(InfoNceOptions.defaults().useBatch(false)));
    }

    @Test
    void environmentThenFlags() {
        var env = Map.of("INFONCE_TEMPERATURE", "0.05", "INFONCE_USE_BATCH", "False", "INFONCE_HARD_NEGATIVES", "4",
                "INFONCE_MASK_FAKE_NEGATIVE", "yes", "INFONCE_FAKE_NEG_MARGIN", "0.2", "INFONCE_INCLUDE_QQ", "1");
        var o = InfoNceOptions.fromEnvironment(env);
        assertEquals(new InfoNceOptions(0.05, false, 4, true, 0.2, true, false), o);
        assertEquals(InfoNceOptions.defaults(), InfoNceOptions.fromEnvironment(Map.of()));
        assertEquals(0.1, InfoNceOptions.defaults().temperature());
        assertThrows(IllegalArgumentException.class, () -> InfoNceOptions.fromEnvironment(Map.of("INFONCE_USE_BATCH", "maybe")));
    }

    @Test
    void matryoshkaSumsWeightedLossesOfNormalisedPrefixes() {
        NDArray r = rows(GROUPS);
        InfoNceLoss base = new InfoNceLoss(InfoNceOptions.defaults());
        double full = base.compute(r, Layout.groups(1, 1)).getDouble();
        NDArray two = Pooling.l2(r.get(":, :2"));
        double cut = base.compute(two, Layout.groups(1, 1)).getDouble();
        double got = new MatryoshkaLoss(base, new int[] {3, 2, 64}, new double[] {1, 0.5, 9}).compute(r, Layout.groups(1, 1)).getDouble();
        assertEquals(full + 0.5 * cut, got, 1e-9); // 64 > 3 dims is skipped
    }
}
