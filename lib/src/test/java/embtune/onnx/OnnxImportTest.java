package embtune.onnx;

import static org.junit.jupiter.api.Assertions.*;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import embtune.Fixtures;
import embtune.model.Embedder;
import embtune.model.TextTokenizer;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The imported all-MiniLM-L6-v2 computes what the ONNX graph computes (ONNX Runtime as the judge). */
class OnnxImportTest {
    static byte[] onnx, tokenizer;
    static final List<String> TEXTS = List.of("A man is playing a guitar.", "Someone strums a guitar!",
            "The quick brown fox jumps over the lazy dog, then keeps running far away.", "hi");

    @BeforeAll
    static void read() throws Exception {
        onnx = bytes(Langchain4jModel.ALL_MINILM_L6_V2.onnx());
        tokenizer = bytes(Langchain4jModel.ALL_MINILM_L6_V2.tokenizer());
    }

    static byte[] bytes(String name) throws Exception {
        try (InputStream in = OnnxImportTest.class.getClassLoader().getResourceAsStream(name)) {
            assertNotNull(in, name + " on the test class path");
            return in.readAllBytes();
        }
    }

    @Test
    void importedModelMatchesOnnxRuntime(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("minilm");
        OnnxImporter.importBert(onnx, tokenizer, Langchain4jModel.ALL_MINILM_L6_V2, out);
        try (Embedder m = Embedder.load(out); OrtEnvironment env = OrtEnvironment.getEnvironment();
             OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
            assertEquals(384, m.dimension());
            TextTokenizer.Batch b = m.tokenizer().encode(TEXTS);
            long[][] types = new long[b.size()][b.length()];
            float[][][] want;
            try (var ids = OnnxTensor.createTensor(env, b.ids()); var mask = OnnxTensor.createTensor(env, b.mask());
                 var tt = OnnxTensor.createTensor(env, types);
                 var result = session.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", tt))) {
                want = (float[][][]) result.get(0).getValue();
            }
            float[][][] got = m.tokenEmbeddings(TEXTS);
            double worst = 0;
            for (int i = 0; i < got.length; i++)
                for (int t = 0; t < got[i].length; t++)
                    if (b.mask()[i][t] == 1) worst = Math.max(worst, Fixtures.maxDiff(got[i][t], want[i][t]));
            assertTrue(worst < 1e-5, "token embeddings differ from ONNX Runtime by " + worst);

            // sentence embeddings: mean pooling + normalize of ONNX Runtime's output
            float[][] emb = m.embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                float[] mean = new float[384];
                int n = 0;
                for (int t = 0; t < b.length(); t++)
                    if (b.mask()[i][t] == 1) { n++; for (int d = 0; d < 384; d++) mean[d] += want[i][t][d]; }
                double norm = 0;
                for (int d = 0; d < 384; d++) { mean[d] /= n; norm += mean[d] * mean[d]; }
                for (int d = 0; d < 384; d++) mean[d] /= (float) Math.sqrt(norm);
                assertTrue(Fixtures.maxDiff(emb[i], mean) < 1e-5, "embedding " + i);
            }
            assertTrue(m.similarity(TEXTS.get(0), TEXTS.get(1)) > m.similarity(TEXTS.get(0), TEXTS.get(2)),
                    "a real model: the guitar sentences are closer than guitar and fox");
        }
    }

    @Test
    void anAnonymousWeightWithoutABiasEdgeIsRefusedByName() {
        OnnxGraph g = new OnnxGraph();
        g.initializers.put("onnx::MatMul_7", new OnnxGraph.Tensor("onnx::MatMul_7", new long[] {2, 2}, new float[4]));
        g.nodes.add(new OnnxGraph.Node("MatMul", List.of("x", "onnx::MatMul_7"), List.of("y")));
        g.nodes.add(new OnnxGraph.Node("Relu", List.of("y"), List.of("z")));
        var e = assertThrows(IllegalArgumentException.class, () -> OnnxWeights.toCheckpointNames(g, "t.onnx"));
        assertTrue(e.getMessage().contains("onnx::MatMul_7"), e.getMessage());
    }

    @Test
    void transposeGivesLinearLayout() {
        var t = OnnxWeights.transpose("w", new OnnxGraph.Tensor("x", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        assertArrayEquals(new long[] {3, 2}, t.dims());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, t.values());
    }
}
