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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The imported all-MiniLM-L6-v2 computes what the ONNX graph computes (ONNX Runtime as the judge). */
@Tag("slow")
class OnnxImportTest {
    static final List<String> TEXTS = List.of("A man is playing a guitar.", "Someone strums a guitar!",
            "The quick brown fox jumps over the lazy dog, then keeps running far away.", "hi");

    static byte[] bytes(String name) throws Exception {
        try (InputStream in = OnnxImportTest.class.getClassLoader().getResourceAsStream(name)) {
            assertNotNull(in, name + " on the test class path");
            return in.readAllBytes();
        }
    }

    static final List<String> ZH = List.of("一个男人在弹吉他。", "有人在弹奏吉他！", "敏捷的棕色狐狸跳过了懒狗，然后跑远了。", "你好");

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"all-MiniLM-L6-v2", "bge-small-en-v1.5", "bge-small-zh-v1.5"})
    void importedModelMatchesOnnxRuntime(String name, @TempDir Path dir) throws Exception {
        Langchain4jModel spec = Langchain4jModel.named(name);
        byte[] onnx = bytes(spec.onnx()), tokenizer = bytes(spec.tokenizer());
        List<String> texts = name.contains("zh") ? ZH : TEXTS;
        Path out = dir.resolve(name);
        OnnxImporter.importBert(onnx, tokenizer, spec, out);
        try (Embedder m = Embedder.load(out); OrtEnvironment env = OrtEnvironment.getEnvironment();
             OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
            int dim = m.dimension();
            TextTokenizer.Batch b = m.tokenizer().encode(texts);
            long[][] types = new long[b.size()][b.length()];
            float[][][] want;
            try (var ids = OnnxTensor.createTensor(env, b.ids()); var mask = OnnxTensor.createTensor(env, b.mask());
                 var tt = OnnxTensor.createTensor(env, types);
                 var result = session.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", tt))) {
                want = (float[][][]) result.get(0).getValue();
            }
            float[][][] got = m.tokenEmbeddings(texts);
            double worst = 0;
            for (int i = 0; i < got.length; i++)
                for (int t = 0; t < got[i].length; t++)
                    if (b.mask()[i][t] == 1) worst = Math.max(worst, Fixtures.maxDiff(got[i][t], want[i][t]));
            assertTrue(worst < 1e-5, name + ": token embeddings differ from ONNX Runtime by " + worst);

            // sentence embeddings: the model's pooling (mean for MiniLM, CLS for bge) + normalize of ONNX Runtime's output
            float[][] emb = m.embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                float[] pooled = new float[dim];
                if (spec.pooling().equals("cls")) pooled = want[i][0].clone();
                else {
                    int n = 0;
                    for (int t = 0; t < b.length(); t++)
                        if (b.mask()[i][t] == 1) { n++; for (int d = 0; d < dim; d++) pooled[d] += want[i][t][d]; }
                    for (int d = 0; d < dim; d++) pooled[d] /= n;
                }
                double norm = 0;
                for (int d = 0; d < dim; d++) norm += pooled[d] * pooled[d];
                for (int d = 0; d < dim; d++) pooled[d] /= (float) Math.sqrt(norm);
                assertTrue(Fixtures.maxDiff(emb[i], pooled) < 1e-5, name + " embedding " + i);
            }
            assertTrue(m.similarity(texts.get(0), texts.get(1)) > m.similarity(texts.get(0), texts.get(2)),
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
