package embtune.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import embtune.cli.Cli;
import embtune.data.Dataset;
import embtune.mine.Miner;
import embtune.mine.NegativeRules;
import embtune.mine.OutputFormat;
import embtune.model.Embedder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands on a running local[2] session: mine --spark writes mine's rows; embed-corpus refuses bad flags in one line. */
class MineSparkCommandTest {
    static final Path FIXTURES = Path.of("..", "lib", "src", "test", "resources", "fixtures").toAbsolutePath().normalize();
    static SparkSession spark;
    @TempDir static Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("embtune-spark-cli-test").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void mineSparkWritesTheRowsOfTheLocalMiner() throws Exception {
        List<String> s = Files.readAllLines(FIXTURES.resolve("corpus.txt")).subList(0, 200);
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 60; i++) lines.add(json.writeValueAsString(java.util.Map.of("query", s.get(2 * i), "response", s.get(2 * i + 1))));
        Path pairs = Files.write(tmp.resolve("pairs.jsonl"), lines);
        Path corpus = Files.write(tmp.resolve("corpus.txt"), s.subList(120, 200));
        Path out = tmp.resolve("mined.jsonl");
        MineSparkCommand.run(MineSparkCommand.cli().parse("--model", FIXTURES.resolve("tiny-bert").toString(), "--dataset", pairs.toString(),
                "--corpus", corpus.toString(), "--output", out.toString(), "--range_max", "30", "--num_negatives", "2",
                "--partitions", "3"));

        Path expected = tmp.resolve("expected.jsonl");
        try (Embedder m = Embedder.load(FIXTURES.resolve("tiny-bert"))) {
            Miner.with(m).rules(NegativeRules.defaults().rangeMax(30).numNegatives(2)).corpus(s.subList(120, 200))
                    .mine(Dataset.load(pairs)).write(expected, OutputFormat.TRIPLET, false);
        }
        assertEquals(Files.readAllLines(expected), Files.readAllLines(out));
    }

    @Test
    void badFlagsAreOneLine() {
        var e = assertThrows(Cli.UsageError.class, () -> EmbedCorpusCommand.run(EmbedCorpusCommand.cli().parse("--input", "x.jsonl",
                "--output", tmp.resolve("o.parquet").toString(), "--mode", "append")));
        assertEquals("--mode must be error or overwrite", e.getMessage());
        var m = assertThrows(Cli.UsageError.class, () -> MineSparkCommand.run(MineSparkCommand.cli().parse("--model", "http://127.0.0.1:9/v1",
                "--dataset", "p.jsonl", "--output", "o.jsonl")));
        assertFalse(m.getMessage().contains("\n"));
    }
}
