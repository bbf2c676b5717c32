package embtune.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.data.Record;
import embtune.loss.EmbeddingLoss;
import embtune.loss.InfoNceOptions;
import embtune.loss.LossType;
import embtune.loss.Losses;
import embtune.lora.Lora;
import embtune.lora.LoraConfig;
import embtune.model.Embedder;
import embtune.model.ModelConfig;
import embtune.model.Pooling;
import embtune.engine.Precision;
import embtune.model.Presets;
import embtune.train.AdamW;
import embtune.train.StepBatch;
import embtune.train.TrainStep;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Training throughput of the four workloads the GPU issue compares against (random weights,
 * AdamW, global-norm clipping, real model shapes), one JSON line per workload and precision:
 * pairs/s, tokens/s, step time, peak memory.
 *
 * <p>By default each (workload, precision) runs in a fresh JVM: TF32 is fixed per process by the
 * environment (libtorch reads TORCH_ALLOW_TF32_CUBLAS_OVERRIDE once), and peak memory is only
 * meaningful per process. {@code --in_process} runs them one after another here (tests).
 * {@code --tiny} keeps every workload's batch and sequence shapes but shrinks the models to two
 * layers of width 32, so the suite can run all code paths on a CPU in seconds.
 *
 * <p>Peak memory: on a GPU, the most the CUDA driver reported in use ({@code cudaMemGetInfo}) at
 * the end of any step: PyTorch's caching allocator keeps what the step's peak needed, so this
 * covers the peak, plus the CUDA context (~0.5 GiB) and anything else on the device. On the CPU,
 * the process's peak resident set (VmHWM).
 */
public final class TrainBench {
    public record Workload(String id, String model, String loss, int pairs, int tokens, boolean lora) {
        ModelConfig config(boolean tiny) {
            return model.startsWith("MiniLM") ? Presets.miniLmL6(tiny) : Presets.qwen3Embedding06B(tiny);
        }

        Pooling pooling() {
            return model.startsWith("MiniLM") ? new Pooling(Pooling.Mode.MEAN, true) : new Pooling(Pooling.Mode.LAST_TOKEN, true);
        }
    }

    /** Exactly the rows. */
    public static final List<Workload> WORKLOADS = List.of(
            new Workload("minilm-cosine-64x32", "MiniLM-L6", "cosine_similarity", 64, 32, false),
            new Workload("qwen3-0.6b-infonce-32x128-full", "Qwen3-0.6B", "infonce", 32, 128, false),
            new Workload("qwen3-0.6b-infonce-32x128-lora-r8", "Qwen3-0.6B", "infonce", 32, 128, true),
            new Workload("qwen3-0.6b-infonce-8x512-full", "Qwen3-0.6B", "infonce", 8, 512, false));

    public record Options(String device, int steps, int warmup, boolean tiny, boolean gradientCheckpointing) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainBench() {}

    /** Runs one workload in this process and returns its result line. */
    public static Map<String, Object> run(Workload w, Precision precision, Options o) {
        try (Embedder model = Embedder.random(w.config(o.tiny()), w.pooling(), o.device(), 0, w.tokens());
             NDManager out = model.manager().newSubManager()) {
            Map<String, Parameter> trainable;
            if (w.lora()) {
                Lora.apply(model, new LoraConfig(8, 32, 0.05, List.of("all-linear"), false), 0);
                trainable = Lora.parameters(model.encoder());
            } else {
                trainable = model.encoder().namedParameters();
            }
            AdamW adam = new AdamW(trainable, model.manager(), 0.9, 0.999, 1e-8, 0.01);
            EmbeddingLoss loss = Losses.create(LossType.parse(w.loss()), 0.5, InfoNceOptions.defaults(), null, null, new Random(0));
            var settings = TrainStep.Settings.of(1.0).gradientCheckpointing(o.gradientCheckpointing()).precision(precision);
            Device device = model.device();
            long peak = 0;
            double seconds;
            float lastLoss;
            try (TrainStep step = new TrainStep(model, loss, trainable, adam, settings)) {
                NDArray l = null;
                long t0 = 0;
                for (int s = -o.warmup(); s < o.steps(); s++) {
                    if (s == 0) {
                        if (l != null) l.getFloat(); // let the warm-up finish before the clock starts
                        t0 = System.nanoTime();
                    }
                    l = step.run(List.of(batch(w, s)), 1e-5, out).loss();
                    peak = Math.max(peak, memoryInUse(device));
                }
                lastLoss = l.getFloat(); // the one sync of the timed steps
                seconds = (System.nanoTime() - t0) / 1e9;
            }
            peak = Math.max(peak, memoryInUse(device));
            double stepS = seconds / o.steps();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("bench", "train");
            r.put("workload", w.id());
            r.put("precision", precision.effective(device));
            r.put("device", device.toString());
            r.put("pairs", w.pairs());
            r.put("tokens", w.tokens());
            r.put("lora", w.lora());
            r.put("gradient_checkpointing", o.gradientCheckpointing());
            r.put("tiny", o.tiny());
            r.put("steps", o.steps());
            r.put("step_s", round(stepS, 4));
            r.put("pairs_per_s", round(w.pairs() / stepS, 3));
            r.put("tokens_per_s", Math.round(2.0 * w.pairs() * w.tokens() / stepS));
            r.put("peak_gib", round(peak / (double) (1L << 30), 2));
            r.put("memory", device.isGpu() ? "cuda_used_max" : "process_rss_peak");
            r.put("loss", round(lastLoss, 5));
            return r;
        }
    }

    /** One step's rows: distinct texts per step (so nothing is cached), scored pairs for the cosine loss. */
    static StepBatch batch(Workload w, int step) {
        List<Record> rows = new ArrayList<>();
        Random r = new Random(step);
        for (int i = 0; i < w.pairs(); i++) {
            String a = "q" + step + "-" + i, b = "d" + step + "-" + i;
            rows.add(w.loss().equals("infonce") ? Record.pair(a, b) : Record.pair(a, b, r.nextFloat()));
        }
        return StepBatch.of(rows, !w.loss().equals("infonce"));
    }

    static long memoryInUse(Device device) {
        if (device.isGpu()) {
            try {
                return ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getUsed(); // cudaMemGetInfo through JNA
            } catch (RuntimeException | LinkageError e) {
                return nvidiaSmiUsed(device.getDeviceId()); // no system libcudart for JNA to find
            }
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        } catch (IOException | RuntimeException ignored) {
            // not Linux: no figure
        }
        return 0;
    }

    /** memory.used of one GPU from nvidia-smi, in bytes; 0 when it cannot be asked. */
    static long nvidiaSmiUsed(int gpu) {
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", String.valueOf(gpu))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return Long.parseLong(out.split("\\s+")[0]) << 20; // MiB
        } catch (IOException | RuntimeException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    static double round(double x, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(x * f) / f;
    }

    /**
     * {@code train_bench [--workload all|ID,...] [--precision all|fp32,tf32,fp16] [--steps 10] [--warmup 3]
     * [--device auto] [--tiny] [--gradient_checkpointing] [--in_process]}
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = flags(args);
        if (a.containsKey("help")) {
            System.out.println("train_bench [--workload all|" + String.join("|", WORKLOADS.stream().map(Workload::id).toList())
                    + "] [--precision all|fp32,tf32,fp16] [--steps 10] [--warmup 3] [--device auto|cpu|gpu:N] [--gradient_checkpointing]"
                    + " [--tiny] [--in_process]\none JSON line per workload and precision; each case in a fresh JVM unless --in_process");
            return;
        }
        Options o = new Options(a.getOrDefault("device", "auto"), Integer.parseInt(a.getOrDefault("steps", "10")),
                Integer.parseInt(a.getOrDefault("warmup", "3")), a.containsKey("tiny"), a.containsKey("gradient_checkpointing"));
        List<Workload> workloads = new ArrayList<>();
        String wanted = a.getOrDefault("workload", "all");
        for (Workload w : WORKLOADS) if (wanted.equals("all") || List.of(wanted.split(",")).contains(w.id())) workloads.add(w);
        if (workloads.isEmpty()) throw new IllegalArgumentException("no workload '" + wanted + "'; choose all or " + WORKLOADS.stream().map(Workload::id).toList());
        List<String> precisions = List.of(a.getOrDefault("precision", "all").replace("all", "fp32,tf32,fp16").split(","));
        boolean child = a.containsKey("child");
        for (Workload w : workloads)
            for (String p : precisions) {
                if (child || a.containsKey("in_process")) {
                    Precision precision = Precision.parse(p, embtune.engine.Devices.pick(o.device()));
                    System.out.println(JSON.writeValueAsString(run(w, precision, o)));
                } else {
                    inChild(args, w, p);
                }
            }
    }

    /** The same benchmark for one (workload, precision) in a fresh JVM whose environment serves that precision. */
    private static void inChild(String[] args, Workload w, String precision) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String opt : ManagementFactory.getRuntimeMXBean().getInputArguments())
            if (opt.startsWith("-Xm") || opt.startsWith("-D") || opt.startsWith("-XX:")) cmd.add(opt);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TrainBench.class.getName()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--child", "--workload", w.id(), "--precision", precision));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        if (precision.equals("tf32")) pb.environment().put(Precision.TF32_ENV, "1");
        else pb.environment().remove(Precision.TF32_ENV);
        Process p = pb.start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            for (String line; (line = r.readLine()) != null; ) if (line.startsWith("{")) System.out.println(line);
        }
        int code = p.waitFor();
        if (code != 0)
            System.out.printf("{\"bench\":\"train\",\"workload\":\"%s\",\"precision\":\"%s\",\"error\":\"exit %d (its stderr is above)\"}%n",
                    w.id(), precision, code);
    }

    /** --name value and bare --switch flags; later ones win (the child's --workload/--precision). */
    static Map<String, String> flags(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
            String k = args[i].substring(2).replace('-', '_');
            if (i + 1 < args.length && !args[i + 1].startsWith("--")) m.put(k, args[++i]);
            else m.put(k, "true");
        }
        return m;
    }
}
