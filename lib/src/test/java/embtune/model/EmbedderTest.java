package embtune.model;

import embtune.weights.Safetensors;
import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedderTest {
    @TempDir Path dir;

    static List<String> texts(String fixture) {
        return Fixtures.strings(Fixtures.json(fixture + "/expected.json").get("texts"));
    }

    static float[][] expected(String fixture) {
        return Fixtures.matrix(Fixtures.json(fixture + "/expected.json").get("embeddings"));
    }

    @Test
    void paddingSideDoesNotChangeEmbeddings() {
        var opts = Embedder.Options.defaults().paddingSide(TextTokenizer.Side.RIGHT);
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"), opts)) {
            assertTrue(Fixtures.maxDiff(m.embed(texts("tiny-qwen3")), expected("tiny-qwen3")) < 1e-5);
        }
    }

    @Test
    void batchingAndOrderDoNotChangeEmbeddings() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"), Embedder.Options.defaults().batchSize(1))) {
            assertTrue(Fixtures.maxDiff(m.embed(texts("tiny-bert")), expected("tiny-bert")) < 1e-5);
        }
    }

    @Test
    void smallPassesRunOnOneIntraOpThreadAndLargeOnesGetTheirsBack() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"))) {
            float[][] want = expected("tiny-bert");
            int own = embtune.engine.Torch.intraOpThreads();
            try {
                embtune.engine.Torch.intraOpThreads(2);
                assertTrue(Fixtures.maxDiff(m.embed("hi")[0], want[2]) < 1e-5);
                assertEquals(1, embtune.engine.Torch.intraOpThreads()); // 3 tokens: this thread alone
                assertTrue(Fixtures.maxDiff(m.embed(texts("tiny-bert")), want) < 1e-5);
                assertEquals(2, embtune.engine.Torch.intraOpThreads()); // 4 texts padded to their longest: its threads back
            } finally {
                embtune.engine.Torch.intraOpThreads(own);
            }
        }
    }

    @Test
    void inferenceOnlyModelsGiveTheFixtureVectors() {
        for (String fixture : java.util.List.of("tiny-bert", "tiny-qwen3", "tiny-qwen2", "tiny-modernbert")) {
            try (Embedder m = Embedder.load(Fixtures.dir(fixture)).inferenceOnly()) {
                long packed = m.encoder().namedModules().values().stream()
                        .filter(x -> x instanceof embtune.nn.Linear l && l.isPacked()).count();
                assertTrue(packed > 0, fixture + ": no linear layer holds a packed copy");
                assertTrue(Fixtures.maxDiff(m.embed(texts(fixture)), expected(fixture)) < 1e-5, fixture);
            }
        }
    }

    @Test
    void queryPromptIsPrepended() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"), Embedder.Options.defaults().queryPrompt("Instruct: find\nQuery:"))) {
            float[][] q = m.embedQueries(List.of("hi"));
            assertArrayEquals(m.embed("Instruct: find\nQuery:hi")[0], q[0], 1e-6f);
            assertTrue(Fixtures.maxDiff(q[0], m.embed("hi")[0]) > 1e-3);
        }
    }

    @Test
    void truncationKeepsTheFinalEndOfText() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"), Embedder.Options.defaults().maxLength(5))) {
            long[] ids = m.tokenizer().ids("The quick brown fox jumps over the lazy dog");
            assertEquals(5, ids.length);
            assertEquals(0, ids[4]); // <|endoftext|>
        }
    }

    @Test
    void familyDecidesPoolingWithoutSentenceTransformersFiles() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3-bf16-sharded"), Embedder.Options.defaults().maxLength(64))) {
            assertEquals(new Pooling(Pooling.Mode.LAST_TOKEN, true), m.pooling());
            assertTrue(m.toString().contains("qwen3 2 layers"), m.toString());
        }
    }

    @Test
    void fp16WeightsLoad() throws Exception {
        // convert tiny-bert's float32 weights to a float16 file, then compare with the float32 result
        Path m = ModelFolders.copy("tiny-bert", dir);
        Safetensors st = Safetensors.open(m.resolve("model.safetensors"));
        var om = new ObjectMapper();
        var header = om.createObjectNode();
        Map<String, byte[]> data = new LinkedHashMap<>();
        long off = 0;
        try (NDManager nd = NDManager.newBaseManager()) {
            for (var t : st.tensors().values()) {
                NDArray half = st.load(t.name(), nd).toType(DataType.FLOAT16, false);
                byte[] bytes = new byte[(int) (t.numel() * 2)];
                half.toByteBuffer().get(bytes);
                var h = header.putObject(t.name());
                h.put("dtype", "F16");
                var shape = h.putArray("shape");
                for (long d : t.shape()) shape.add(d);
                h.putArray("data_offsets").add(off).add(off + bytes.length);
                off += bytes.length;
                data.put(t.name(), bytes);
            }
        }
        byte[] json = om.writeValueAsBytes(header);
        var buf = java.nio.ByteBuffer.allocate((int) (8 + json.length + off)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json);
        data.values().forEach(buf::put);
        Files.write(m.resolve("model.safetensors"), buf.array());
        try (Embedder e = Embedder.load(m)) {
            double d = Fixtures.maxDiff(e.embed(texts("tiny-bert")), expected("tiny-bert"));
            assertTrue(d < 5e-3, "fp16 weights give embeddings within fp16 rounding: " + d);
            assertTrue(d > 0, "the weights really were rounded");
        }
    }

    @Test
    void saveRoundTripsAndLeavesAnExistingFolderAlone() throws Exception {
        Path out = dir.resolve("saved");
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            m.save(out, false);
            for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "modules.json",
                    "1_Pooling/config.json", "sentence_bert_config.json", "config_sentence_transformers.json"))
                assertTrue(Files.exists(out.resolve(f)), f);
            long before = Files.size(out.resolve("model.safetensors"));
            String msg = assertThrows(IllegalStateException.class, () -> m.save(out, false)).getMessage();
            assertTrue(msg.contains("already exists; nothing was written"), msg);
            assertEquals(before, Files.size(out.resolve("model.safetensors")));
            m.save(out, true);
        }
        try (Embedder back = Embedder.load(out)) {
            assertTrue(Fixtures.maxDiff(back.embed(texts("tiny-qwen3")), expected("tiny-qwen3")) < 1e-5);
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of("saved"), files.map(p -> p.getFileName().toString()).toList(), "no temp folders left");
        }
    }

    @Test
    void savingAFolderWithoutSentenceTransformersFilesWritesThem() throws Exception {
        Path out = dir.resolve("st");
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-qwen3-bf16-sharded"), Embedder.Options.defaults().maxLength(64))) {
            m.save(out, false);
        }
        JsonNode pooling = new ObjectMapper().readTree(out.resolve("1_Pooling/config.json").toFile());
        assertTrue(pooling.get("pooling_mode_lasttoken").asBoolean());
        assertEquals(64, pooling.get("word_embedding_dimension").asInt());
        assertTrue(Files.isDirectory(out.resolve("2_Normalize")));
        assertEquals(64, new ObjectMapper().readTree(out.resolve("sentence_bert_config.json").toFile()).get("max_seq_length").asInt());
        try (Embedder back = Embedder.load(out)) {
            assertTrue(Fixtures.maxDiff(back.embed(texts("tiny-qwen3-bf16-sharded")), expected("tiny-qwen3-bf16-sharded")) < 1e-5);
        }
    }
}
