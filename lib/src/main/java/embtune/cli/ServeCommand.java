package embtune.cli;

import embtune.model.Embedder;
import embtune.serve.EmbeddingServer;
import embtune.lora.AdapterSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code serve --model DIR|hub-id [--adapters NAME=CKPT ...] [--adapters_dir DIR]}: an
 * OpenAI-compatible {@code /v1/embeddings} endpoint, as {@code swift deploy} ends ms-swift's
 * workflow, with any number of LoRA adapters on the one base, chosen per request by its
 * {@code model} field. SIGTERM (or Ctrl-C) drains: the queued requests are answered, new ones get
 * 503, and the process exits within --drain_timeout.
 */
public final class ServeCommand {
    private ServeCommand() {}

    static Cli cli() {
        return new Cli("serve", "serve a model as an OpenAI-compatible embeddings endpoint (POST /v1/embeddings)")
                .option("model", null, "model folder, hub id or a known name; default: the bundled all-MiniLM-L6-v2")
                .option("adapters", null, "LoRA adapters served beside the base, NAME=CKPT each (several: --adapters a=X b=Y); "
                        + "a request's \"model\": NAME picks one. A bare CKPT is applied to the base instead")
                .positionals("NAME=CKPT", "more adapters after --adapters, as ms-swift's --adapters takes several")
                .option("adapters_dir", null, "serve every adapter folder in DIR too, by folder name; POST /v1/adapters/reload reads it again")
                .option("reranker", null, "also serve POST /v1/rerank (Cohere / Jina / vLLM shape) with this reranker folder or hub id")
                .option("hub", null, "where hub ids come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
                .option("host", "127.0.0.1", "address to listen on (0.0.0.0 for every interface)")
                .option("port", "8000", "port to listen on (0: any free one)")
                .option("served_model_name", null, "the model id clients send and /v1/models lists (default: the model folder's name)")
                .option("api_key", null, "require Authorization: Bearer KEY on every request but /health")
                .option("max_batch_size", "64", "most inputs embedded together in one batch")
                .option("max_wait_ms", "5", "how long the first request of a batch waits for others")
                .option("max_queue", "256", "requests waiting at most; past that the server answers 503 with Retry-After")
                .option("batch_size", "32", "texts per forward pass inside a batch")
                .option("workers", "0", "forward passes run at once, each on its share of the cores (0: auto, 2 on a CPU, 1 on a GPU)")
                .option("header_timeout", "5", "seconds a client has to send a request's line and headers (408 after)")
                .option("body_timeout", "10", "seconds a client has to send a request's body once its headers are in (408 after)")
                .option("idle_timeout", "30", "seconds a kept-alive connection may wait for its next request")
                .option("drain_timeout", "10", "seconds SIGTERM lets the requests under way finish before the process exits")
                .option("max_connections", "1024", "connections open at most (503 past it)")
                .option("max_connections_per_client", "128", "connections one client address may hold (429 past it; 0: no cap, e.g. behind a proxy)")
                .option("device", "auto", "auto, cpu, gpu or gpu:N")
                .option("precision", "auto", "auto (fp32; tf32 on a GPU), fp32, bf16 (products in bfloat16; CPUs with avx512_bf16 or amx), fp16 or tf32 (forward passes; weights stay float32)")
                .option("max_length", null, "tokens per text (default: the model's)")
                .option("infer_backend", "auto", ModelArgs.INFER_BACKEND_HELP + "; with LoRA adapters, pt (ONNX Runtime runs the base only)");
    }

    public static void main(String[] argv) {
        cli().run(argv, a -> {
            Served s = start(a);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                System.err.println("embtune serve: stopping; answering the queued requests first (at most " + a.get("drain_timeout")
                        + " s, --drain_timeout); new requests get 503");
                s.close();
                stopped.countDown();
            }, "embtune-serve-stop"));
            stopped.await();
        });
    }

    /** The server and what it serves, closed together. */
    record Served(EmbeddingServer server, AdapterSet adapters, Embedder model, embtune.rerank.Reranker reranker) implements AutoCloseable {
        @Override
        public void close() {
            server.close();
            if (adapters != null) adapters.close();
            if (reranker != null) reranker.close();
            model.close();
        }
    }

    static Served start(Cli.Args a) {
        int batch = positive(a, "max_batch_size"), queue = positive(a, "max_queue"), perPass = positive(a, "batch_size");
        int port = a.integer("port"), wait = a.integer("max_wait_ms");
        if (port < 0 || port > 65535) throw new Cli.UsageError("--port " + port + " is not a port (0 to 65535)");
        if (wait < 0) throw new Cli.UsageError("--max_wait_ms must be >= 0");
        Integer maxLength = a.has("max_length") ? positive(a, "max_length") : null;
        // every flag checked before the model loads
        EmbeddingServer.Options options = EmbeddingServer.Options.defaults().host(a.get("host")).port(port)
                .servedModelName(a.get("served_model_name")).apiKey(a.get("api_key")).maxBatchSize(batch).maxWaitMs(wait).maxQueued(queue)
                .headerTimeoutMs(millis(a, "header_timeout")).bodyTimeoutMs(millis(a, "body_timeout")).idleTimeoutMs(millis(a, "idle_timeout"))
                .drainTimeoutMs(millis(a, "drain_timeout")).maxConnections(positive(a, "max_connections"))
                .maxConnectionsPerClient(atLeastZero(a, "max_connections_per_client")).workers(atLeastZero(a, "workers"));
        ModelArgs.inferBackend(a);
        Map<String, Path> named = namedAdapters(a);
        String single = named.isEmpty() && a.has("adapters") ? a.get("adapters") : null;
        if (a.has("adapters_dir") && !Files.isDirectory(Path.of(a.get("adapters_dir"))))
            throw new Cli.UsageError("--adapters_dir " + a.get("adapters_dir") + " is not a folder");
        var opts = Embedder.Options.defaults().device(a.get("device")).batchSize(perPass).maxLength(maxLength);
        // named adapters share one base: --model, else the base the first one records
        String base = a.get("model") != null || named.isEmpty() ? a.get("model") : ModelArgs.baseOf(named.values().iterator().next()).toString();
        Embedder model = ModelArgs.load(base, single, opts, Cli.hub(a));
        AdapterSet adapters = null;
        embtune.rerank.Reranker reranker = null;
        try {
            if (a.has("reranker"))
                reranker = RerankCommand.load(a.get("reranker"), embtune.rerank.Reranker.Options.defaults().device(a.get("device")).batchSize(perPass), Cli.hub(a));
            ModelArgs.forInference(a, model);
            if (!named.isEmpty() || a.has("adapters_dir")) {
                adapters = AdapterSet.on(model);
                for (var e : named.entrySet()) adapters.add(e.getKey(), e.getValue()); // a broken one named here stops the start
                if (a.has("adapters_dir")) {
                    AdapterSet.Report r = adapters.watch(Path.of(a.get("adapters_dir"))).reload();
                    r.skipped().forEach((n, why) -> System.err.println("embtune serve: skipped adapter " + n + ": " + why));
                }
            }
            if (adapters == null) {
                int workers = EmbeddingServer.workers(model, a.integer("workers"));
                ModelArgs.inferBackend(a, model, "serve", Math.max(1, Runtime.getRuntime().availableProcessors() / workers));
            } else if (ModelArgs.inferBackend(a).equals("onnxruntime"))
                throw new Cli.UsageError("--infer_backend onnxruntime: ONNX Runtime runs the base model only; with --adapters, use pt or auto");
            EmbeddingServer server = EmbeddingServer.start(model, adapters, reranker, options);
            System.out.println("embtune serve: " + server.modelName() + " (" + model.dimension() + "-d) at " + server.address()
                    + "/v1  (POST /v1/embeddings" + (reranker != null ? ", POST /v1/rerank" : "") + ", GET /v1/models, GET /health)");
            if (adapters != null) System.out.println("embtune serve: adapters " + adapters.names() + " (send \"model\": NAME)");
            return new Served(server, adapters, model, reranker);
        } catch (RuntimeException e) {
            if (adapters != null) adapters.close();
            if (reranker != null) reranker.close();
            model.close();
            throw e;
        }
    }

    /** --adapters NAME=CKPT (repeated, comma-separated, or followed by more NAME=CKPT words), in order; empty for a bare CKPT. */
    static Map<String, Path> namedAdapters(Cli.Args a) {
        if (!a.positionals().isEmpty() && !a.has("adapters"))
            throw new Cli.UsageError("unexpected argument '" + a.positionals().get(0) + "' (adapters go after --adapters, NAME=CKPT)");
        List<String> specs = new ArrayList<>(a.all("adapters"));
        specs.addAll(a.positionals());
        Map<String, Path> out = new LinkedHashMap<>();
        boolean anyNamed = specs.stream().anyMatch(s -> s.contains("="));
        if (!anyNamed && specs.size() <= 1) return out;
        for (String s : specs) {
            int eq = s.indexOf('=');
            if (eq <= 0 || eq == s.length() - 1)
                throw new Cli.UsageError("--adapters " + s + ": several adapters need a name each, NAME=CKPT");
            String name = s.substring(0, eq);
            if (out.put(name, Path.of(s.substring(eq + 1))) != null) throw new Cli.UsageError("--adapters names " + name + " twice");
            if (!Files.isDirectory(out.get(name))) throw new Cli.UsageError("--adapters " + s + ": " + out.get(name) + " is not a folder");
        }
        return out;
    }

    private static int millis(Cli.Args a, String flag) {
        double s = a.number(flag);
        if (!(s > 0) || s > 86_400) throw new Cli.UsageError("--" + flag + " must be more than 0 seconds (and at most a day), not " + a.get(flag));
        return (int) Math.round(s * 1000);
    }

    private static int atLeastZero(Cli.Args a, String flag) {
        int v = a.integer(flag);
        if (v < 0) throw new Cli.UsageError("--" + flag + " must be at least 0, not " + v);
        return v;
    }

    private static int positive(Cli.Args a, String flag) {
        int v = a.integer(flag);
        if (v < 1) throw new Cli.UsageError("--" + flag + " must be at least 1, not " + v);
        return v;
    }
}
