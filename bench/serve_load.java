///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//JAVA_OPTIONS -Xmx6g
//DESCRIPTION Load test of the embeddings server on the loopback: N clients for a bounded time vs embed in-process

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.data.Dataset;
import embtune.model.Embedder;
import embtune.serve.EmbeddingServer;
import java.net.URI;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * serve_load [--model NAME|DIR] [--clients 16] [--seconds 20] [--texts_per_request 1] [--max_batch_size 64] [--max_wait_ms 5]
 *
 * Starts the server in this process on a free loopback port, runs N client threads that each send
 * requests of real STS-B sentences back to back for a bounded time, and prints one JSON line:
 * requests/s, texts/s, p50/p99 latency, how many were told to retry (503) and how many answers
 * differed from embed's (checked for every answer). Then the same texts through embed in-process,
 * in batches of max_batch_size, for comparison. Traffic goes to 127.0.0.1 only.
 */
public class serve_load {
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("model", "all-MiniLM-L6-v2", "clients", "16", "seconds", "20",
                "texts_per_request", "1", "max_batch_size", "64", "max_wait_ms", "5"));
        if (List.of(args).contains("--help")) {
            System.out.println("bench-serve (bench/serve_load.java): load test of serve on the loopback\n\nusage: bench-serve " + a.keySet().stream()
                    .map(k -> "[--" + k + " " + a.get(k) + "]").collect(java.util.stream.Collectors.joining(" ")));
            return;
        }
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        int clients = Integer.parseInt(a.get("clients")), perRequest = Integer.parseInt(a.get("texts_per_request"));
        long seconds = Long.parseLong(a.get("seconds"));
        List<String> pool = new ArrayList<>();
        for (var r : Dataset.load(embtune.data.Bundled.find("stsb-test.jsonl").toString())) pool.add(r.anchor());
        Path dir = embtune.hub.ModelResolver.resolve(a.get("model"));
        try (Embedder model = Embedder.load(dir)) {
            Map<String, float[]> truth = new java.util.concurrent.ConcurrentHashMap<>();
            float[][] all = model.embed(pool);
            for (int i = 0; i < pool.size(); i++) truth.put(pool.get(i), all[i]);
            var opts = EmbeddingServer.Options.defaults().port(0).maxBatchSize(Integer.parseInt(a.get("max_batch_size")))
                    .maxWaitMs(Long.parseLong(a.get("max_wait_ms")));
            ObjectMapper json = new ObjectMapper();
            ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
            AtomicLong texts = new AtomicLong(), retried = new AtomicLong(), wrong = new AtomicLong();
            long t0, t1;
            try (EmbeddingServer server = EmbeddingServer.start(model, opts)) {
                HttpClient http = HttpClient.newHttpClient();
                URI uri = URI.create(server.address() + "/v1/embeddings");
                ExecutorService exec = Executors.newFixedThreadPool(clients);
                t0 = System.nanoTime();
                long end = t0 + seconds * 1_000_000_000L;
                List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    Random rnd = new Random(c);
                    fs.add(exec.submit(() -> {
                        while (System.nanoTime() < end) {
                            List<String> batch = new ArrayList<>();
                            for (int k = 0; k < perRequest; k++) batch.add(pool.get(rnd.nextInt(pool.size())));
                            long s = System.nanoTime();
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(
                                    json.writeValueAsString(Map.of("input", batch)))).build(), HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 503) { retried.incrementAndGet(); Thread.sleep(10); continue; }
                            latencies.add(System.nanoTime() - s);
                            JsonNode data = json.readTree(r.body()).get("data");
                            for (int k = 0; k < batch.size(); k++) {
                                JsonNode v = data.get(k).get("embedding");
                                float[] want = truth.get(batch.get(k));
                                for (int d = 0; d < want.length; d++)
                                    if (Math.abs(v.get(d).floatValue() - want[d]) > 1e-5) { wrong.incrementAndGet(); break; }
                            }
                            texts.addAndGet(batch.size());
                        }
                        return null;
                    }));
                }
                for (var f : fs) f.get();
                t1 = System.nanoTime();
                exec.shutdown();
            }
            List<Long> l = new ArrayList<>(latencies);
            Collections.sort(l);
            double secs = (t1 - t0) / 1e9;
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("bench", "serve");
            out.put("model", model.name());
            out.put("clients", clients);
            out.put("texts_per_request", perRequest);
            out.put("requests", l.size());
            out.put("requests_per_s", round(l.size() / secs));
            out.put("texts_per_s", round(texts.get() / secs));
            out.put("p50_ms", round(l.get(l.size() / 2) / 1e6));
            out.put("p99_ms", round(l.get(Math.min(l.size() - 1, (int) (l.size() * 0.99))) / 1e6));
            out.put("retried_503", retried.get());
            out.put("answers_differing_from_embed", wrong.get());
            System.out.println(json.writeValueAsString(out));

            // the same number of texts through embed in-process, max_batch_size at a time
            List<String> same = new ArrayList<>();
            Random rnd = new Random(0);
            for (long i = 0; i < texts.get(); i++) same.add(pool.get(rnd.nextInt(pool.size())));
            int b = opts.maxBatchSize();
            long s = System.nanoTime();
            for (int i = 0; i < same.size(); i += b) model.embed(same.subList(i, Math.min(same.size(), i + b)));
            double inProc = same.size() / ((System.nanoTime() - s) / 1e9);
            System.out.println(json.writeValueAsString(Map.of("bench", "embed_in_process", "texts", same.size(), "texts_per_s", round(inProc),
                    "server_over_in_process", round(texts.get() / secs / inProc))));
        }
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
