package embtune.onnx;

import static org.junit.jupiter.api.Assertions.*;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import embtune.Fixtures;
import embtune.ModelError;
import embtune.model.Embedder;
import embtune.model.Pooling;
import embtune.model.TextTokenizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** embtune's ONNX graph of a BERT model, run by ONNX Runtime, gives libtorch's vectors (transformers' fixture model). */
class OnnxRuntimePassesTest {
    static final List<String> TEXTS = List.of("A man is playing a guitar.", "Someone strums a guitar!",
            "The quick brown fox jumps over the lazy dog, then keeps running far away.", "hi");

    static double worst(float[][] a, float[][] b) {
        assertEquals(a.length, b.length);
        double w = 0;
        for (int i = 0; i < a.length; i++) w = Math.max(w, Fixtures.maxDiff(a[i], b[i]));
        return w;
    }

    @ParameterizedTest
    @EnumSource(value = Pooling.Mode.class, names = {"MEAN", "CLS"})
    void everyPassThroughOnnxRuntimeGivesLibtorchsVectors(Pooling.Mode mode) {
        for (boolean normalize : new boolean[] {true, false})
            try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert"), Embedder.Options.defaults().pooling(new Pooling(mode, normalize)))) {
                float[][] want = m.embed(TEXTS);
                OnnxRuntimePasses.attach(m, 1);
                // the padded batch of four, taken by ONNX Runtime (not handed back to libtorch)
                TextTokenizer.Batch batch = m.encode(TEXTS);
                float[][] direct = m.passes().embed(batch);
                assertNotNull(direct, "a pass of " + batch.size() * batch.length() + " tokens is ONNX Runtime's");
                float[][] got = m.embed(TEXTS);
                assertTrue(worst(want, got) < 1e-5, mode + " normalize " + normalize + ": " + worst(want, got));
                assertTrue(m.toString().contains("ONNX Runtime"), m.toString());
            }
    }

    @Test
    void oneTextAtATimeAndWhatAttachingChanges() {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert")).inferenceOnly()) {
            float[][] want = m.embed(TEXTS);
            OnnxRuntimePasses.attach(m);
            // the passes libtorch's packed copies served are ONNX Runtime's now: the copies are dropped
            assertTrue(m.encoder().namedModules().values().stream().noneMatch(x -> x instanceof embtune.nn.Linear l && l.isPacked()));
            float[][] single = new float[TEXTS.size()][];
            for (int i = 0; i < TEXTS.size(); i++) single[i] = m.embed(TEXTS.get(i))[0];
            assertTrue(worst(want, single) < 1e-5);
            int cores = Runtime.getRuntime().availableProcessors();
            assertTrue(m.toString().endsWith("passes on ONNX Runtime " + ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion() + ", "
                    + cores + " thread" + (cores == 1 ? "" : "s") + " each"), m.toString());
            m.precision(embtune.engine.Precision.FP32);
            assertNull(m.passes(), "a new precision leaves the ONNX Runtime passes (made for the old one)");
            assertTrue(m.encoder().namedModules().values().stream().anyMatch(x -> x instanceof embtune.nn.Linear l && l.isPacked()), "and packs again");
            OnnxRuntimePasses.attach(m);
            embtune.lora.Lora.apply(m, new embtune.lora.LoraConfig(4, 8, 0.0, List.of("all-linear"), false), 0);
            assertNull(m.passes(), "a LoRA adapter leaves them too (the graph holds the weights without it)");
        }
    }

    /** last_hidden_state, the first output, is what langchain4j's OnnxEmbeddingModel reads: libtorch's token embeddings. */
    @Test
    void theGraphsFirstOutputIsTheTokenEmbeddings() throws Exception {
        try (Embedder m = Embedder.load(Fixtures.dir("tiny-bert")); OrtEnvironment env = OrtEnvironment.getEnvironment();
             OrtSession s = env.createSession(BertOnnx.graph(m), new OrtSession.SessionOptions())) {
            assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), List.copyOf(s.getInputNames()));
            assertEquals("last_hidden_state", s.getOutputNames().iterator().next());
            TextTokenizer.Batch b = m.encode(TEXTS);
            float[][][] got;
            try (var ids = OnnxTensor.createTensor(env, b.ids()); var mask = OnnxTensor.createTensor(env, b.mask());
                 var types = OnnxTensor.createTensor(env, new long[b.size()][b.length()]);
                 var r = s.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
                got = (float[][][]) r.get(0).getValue();
            }
            float[][][] want = m.tokenEmbeddings(TEXTS);
            double worst = 0;
            for (int i = 0; i < want.length; i++)
                for (int t = 0; t < want[i].length; t++)
                    if (b.mask()[i][t] == 1) worst = Math.max(worst, Fixtures.maxDiff(want[i][t], got[i][t]));
            assertTrue(worst < 1e-5, "token embeddings differ by " + worst);
        }
    }

    @Test
    void modelsItCannotWriteAreRefusedSayingWhy() {
        try (Embedder qwen = Embedder.load(Fixtures.dir("tiny-qwen3"))) {
            ModelError e = assertThrows(ModelError.class, () -> OnnxRuntimePasses.attach(qwen));
            assertTrue(e.getMessage().contains("model_type is 'qwen3'"), e.getMessage());
            assertNull(qwen.passes());
        }
        try (Embedder bert = Embedder.load(Fixtures.dir("tiny-bert"))) {
            bert.precision(embtune.engine.Precision.BF16);
            String why = OnnxRuntimePasses.refusal(bert);
            assertNotNull(why);
            assertTrue(why.contains("float32"), why);
        }
        try (Embedder max = Embedder.load(Fixtures.dir("tiny-bert"), Embedder.Options.defaults().pooling(new Pooling(Pooling.Mode.MAX, true)))) {
            assertTrue(OnnxRuntimePasses.refusal(max).contains("mean or CLS"));
        }
    }
}
