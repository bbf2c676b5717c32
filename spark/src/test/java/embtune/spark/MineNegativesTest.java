package embtune.spark;

import static embtune.spark.SparkTests.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import embtune.data.Dataset;
import embtune.mine.Mined;
import embtune.mine.Miner;
import embtune.mine.NegativeRules;
import embtune.mine.OutputFormat;
import embtune.model.Embedder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Negatives mined on Spark (local[2]) are the ones the single-process miner picks, scores to float32 rounding. */
class MineNegativesTest extends LocalSpark {
    /** 150 (query, positive) pairs from the fixtures' sentences, and 250 more sentences as corpus. */
    static Dataset pairs() throws Exception {
        List<String> s = SparkTests.sentences(550);
        List<String> lines = new ArrayList<>();
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (int i = 0; i < 150; i++)
            lines.add(json.writeValueAsString(java.util.Map.of("query", s.get(2 * i), "response", s.get(2 * i + 1))));
        return Dataset.load(Files.write(tmp.resolve("pairs.jsonl"), lines));
    }

    static List<String> corpus() throws Exception {
        return SparkTests.sentences(550).subList(300, 550);
    }

    @Test
    void sameNegativesAsTheLocalMiner() throws Exception {
        Dataset pairs = pairs();
        List<String> corpus = corpus();
        List<NegativeRules> settings = List.of(
                // the tiny fixture model scores most pairs close together: margins would leave nothing to compare
                NegativeRules.defaults().rangeMax(40),
                NegativeRules.defaults().numNegatives(2).rangeMin(2).rangeMax(20).strategy(NegativeRules.Strategy.RANDOM));
        ModelSource source = ModelSource.resolve(fixture("tiny-bert").toString(), null, null);
        try (Embedder model = Embedder.load(fixture("tiny-bert"))) {
            for (NegativeRules rules : settings) {
                Mined local = Miner.with(model).rules(rules).corpus(corpus).seed(7).mine(pairs);
                Mined distributed = MineNegatives.miner(spark, source, 3).rules(rules).corpus(corpus).seed(7).mine(pairs);
                List<Mined.Row> want = local.rows(OutputFormat.N_TUPLE), got = distributed.rows(OutputFormat.N_TUPLE);
                assertEquals(want.size(), got.size(), rules.toString());
                int negatives = 0;
                for (int i = 0; i < want.size(); i++) {
                    assertEquals(want.get(i).query(), got.get(i).query());
                    assertEquals(want.get(i).response(), got.get(i).response());
                    assertEquals(want.get(i).negatives(), got.get(i).negatives(), "query " + i + ", " + rules);
                    assertArrayEquals(want.get(i).scores(), got.get(i).scores(), 1e-5f, "query " + i);
                    negatives += got.get(i).negatives().size();
                }
                assertTrue(negatives > want.size(), "the rules leave negatives to compare: " + negatives);
            }
        }
    }
}
