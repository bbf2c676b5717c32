package embtune.data;

import static org.junit.jupiter.api.Assertions.*;

import embtune.loss.LossType;
import org.junit.jupiter.api.Test;

class LossTableTest {
    static final Dataset POSITIVES = Dataset.of("pos", Record.pair("a", "b"), Record.pair("c", "d", 1f));
    static final Dataset NEGATIVES = Dataset.of("neg", Record.triplet("a", "b", "n"), Record.pair("c", "d"));
    static final Dataset BINARY = Dataset.of("bin", Record.pair("a", "b", 1f), Record.pair("c", "d", 0f));
    static final Dataset SCORES = Dataset.of("sc", Record.pair("a", "b", 0.4f), Record.pair("c", "d", 1f));

    @Test
    void kinds() {
        assertEquals(DataKind.POSITIVES_ONLY, POSITIVES.kind());
        assertEquals(DataKind.HARD_NEGATIVES, NEGATIVES.kind());
        assertEquals(DataKind.BINARY_LABELS, BINARY.kind());
        assertEquals(DataKind.SCORES, SCORES.kind());
    }

    @Test
    void recommendations() {
        assertEquals(LossType.INFONCE, POSITIVES.recommendedLoss().loss());
        assertEquals(LossType.INFONCE, NEGATIVES.recommendedLoss().loss());
        assertEquals(LossType.CONTRASTIVE, BINARY.recommendedLoss().loss());
        assertEquals(LossType.COSINE_SIMILARITY, SCORES.recommendedLoss().loss());
        assertTrue(SCORES.recommendedLoss().reason().contains("[0.4, 1.0]"), SCORES.recommendedLoss().reason());
    }

    private static String refused(Dataset d, LossType t) {
        return assertThrows(IllegalArgumentException.class, () -> d.requireFits(t)).getMessage();
    }

    @Test
    void explicitLossesTheDataCannotFeedNameTheRule() {
        assertTrue(refused(POSITIVES, LossType.COSINE_SIMILARITY).contains("1 rows have no label"));
        assertTrue(refused(SCORES, LossType.CONTRASTIVE).contains("not 0 or 1"));
        assertTrue(refused(SCORES, LossType.ONLINE_CONTRASTIVE).contains("not 0 or 1"));
        assertTrue(refused(NEGATIVES, LossType.COSINE_SIMILARITY).contains("hard negatives"));
        assertTrue(refused(BINARY, LossType.INFONCE).contains("labelled 0"));
        assertTrue(refused(Dataset.of("ones", Record.pair("a", "b", 1f)), LossType.CONTRASTIVE).contains("nothing to push apart"));
        assertTrue(refused(SCORES, LossType.CONTRASTIVE).contains("recommended: cosine_similarity"));
    }

    @Test
    void fittingChoicesPass() {
        assertDoesNotThrow(() -> BINARY.requireFits(LossType.CONTRASTIVE).requireFits(LossType.ONLINE_CONTRASTIVE)
                .requireFits(LossType.COSINE_SIMILARITY));
        assertDoesNotThrow(() -> SCORES.requireFits(LossType.COSINE_SIMILARITY).requireFits(LossType.INFONCE));
        assertDoesNotThrow(() -> NEGATIVES.requireFits(LossType.INFONCE));
    }

    @Test
    void lossNames() {
        assertEquals(LossType.ONLINE_CONTRASTIVE, LossType.parse("Online-Contrastive"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LossType.parse("mnrl")).getMessage().contains("infonce"));
    }
}
