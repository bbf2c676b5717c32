package embtune.cli;

import embtune.model.Embedder;
import embtune.engine.Precision;
import embtune.serve.EmbeddingServer;
import java.util.concurrent.CountDownLatch;

/**
 * {@code serve --model DIR|hub-id}: an OpenAI-compatible {@code /v1/embeddings} endpoint, as
 * {@code swift deploy} ends ms-swift's workflow. SIGTERM (or Ctrl-C) stops taking requests,
 * answers the queued ones, and exits.
 */
public final class ServeCommand {
    private ServeCommand() {}

    static Cli cli() {
        return new Cli("serve", "serve a model as an OpenAI-compatible embeddings endpoint (POST /v1/embeddings)")
                .option("model", null, "model folder, hub id or a known name; default: the bundled all-MiniLM-L6-v2")
                .option("adapters", null, "PEFT LoRA adapter folder to apply (its base is --model, or the one it records)")
                .option("hub", null, "where hub ids come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
                .option("host", "127.0.0.1", "address to listen on (0.0.0.0 for every interface)")
                .option("port", "8000", "port to listen on (0: any free one)")
                .option("served_model_name", null, "the model id clients send and /v1/models lists (default: the model folder's name)")
                .option("api_key", null, "require Authorization: Bearer KEY on every request but /health")
                .option("max_batch_size", "64", "most inputs embedded together in one batch")
                .option("max_wait_ms", "5", "how long the first request of a batch waits for others")
                .option("max_queue", "256", "requests waiting at most; past that the server answers 503 with Retry-After")
                .option("batch_size", "32", "texts per forward pass inside a batch")
                .option("device", "auto", "auto, cpu, gpu or gpu:N")
                .option("precision", "auto", "auto, fp32, tf32 or fp16 (forward passes; weights stay float32)")
                .option("max_length", null, "tokens per text (default: the model's)");
    }

    public static void main(String[] argv) {
        cli().run(argv, a -> {
            try (EmbeddingServer server = start(a)) {
                CountDownLatch stop = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    System.err.println("embtune serve: stopping; answering the queued requests first");
                    server.close();
                    stop.countDown();
                }, "embtune-serve-stop"));
                stop.await();
            }
        });
    }

    static EmbeddingServer start(Cli.Args a) {
        int batch = positive(a, "max_batch_size"), queue = positive(a, "max_queue"), perPass = positive(a, "batch_size");
        int port = a.integer("port"), wait = a.integer("max_wait_ms");
        if (port < 0 || port > 65535) throw new Cli.UsageError("--port " + port + " is not a port (0 to 65535)");
        if (wait < 0) throw new Cli.UsageError("--max_wait_ms must be >= 0");
        Integer maxLength = a.has("max_length") ? positive(a, "max_length") : null;
        var opts = Embedder.Options.defaults().device(a.get("device")).batchSize(perPass).maxLength(maxLength);
        Embedder model = ModelArgs.load(a.get("model"), a.get("adapters"), opts, Cli.hub(a));
        model.precision(Precision.parse(a.get("precision"), model.device()));
        EmbeddingServer server = EmbeddingServer.start(model, EmbeddingServer.Options.defaults().host(a.get("host")).port(port)
                .servedModelName(a.get("served_model_name")).apiKey(a.get("api_key")).maxBatchSize(batch).maxWaitMs(wait).maxQueued(queue));
        System.out.println("embtune serve: " + server.modelName() + " (" + model.dimension() + "-d) at " + server.address()
                + "/v1  (POST /v1/embeddings, GET /v1/models, GET /health)");
        return server;
    }

    private static int positive(Cli.Args a, String flag) {
        int v = a.integer(flag);
        if (v < 1) throw new Cli.UsageError("--" + flag + " must be at least 1, not " + v);
        return v;
    }
}
