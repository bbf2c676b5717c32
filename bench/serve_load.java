///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//JAVA_OPTIONS -Xmx6g
//DESCRIPTION Load test of the embeddings server on the loopback: N clients for a bounded time vs embed in-process

import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.data.Dataset;
import embtune.model.Embedder;
import embtune.serve.EmbeddingServer;
import java.nio.file.Path;
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
 * serve_load [--model NAME|DIR] [--clients 16] [--seconds 20] [--texts_per_request 1] [--max_batch_size 64] [--max_wait_ms 5] [--workers 0] [--warmup 5]
 *
 * Starts the server in this process on a free loopback port, runs N client threads that each send
 * requests of real STS-B sentences back to back for a bounded time (after a warm-up that is not
 * counted), and prints one JSON line:
 * requests/s, texts/s, p50/p99 latency, how many were told to retry (503) and how many answers
 * differed from embed's (checked for every answer), the mean batch and the process's CPU time per
 * text. Then the same texts through embed in-process, in batches of max_batch_size, for comparison.
 * Traffic goes to 127.0.0.1 only; each client holds one kept-alive connection on a plain socket.
 */
public class serve_load {
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("model", "all-MiniLM-L6-v2", "clients", "16", "seconds", "20",
                "texts_per_request", "1", "max_batch_size", "64", "max_wait_ms", "5", "workers", "0", "warmup", "5", "infer_backend", "auto"));
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
        try (Embedder model = Embedder.load(dir).inferenceOnly()) { // as serve readies its model
            Map<String, float[]> truth = new java.util.concurrent.ConcurrentHashMap<>();
            float[][] all = model.embed(pool);
            for (int i = 0; i < pool.size(); i++) truth.put(pool.get(i), all[i]); // libtorch's, whatever runs the server's passes
            // as serve readies its model (--infer_backend auto): ONNX Runtime where it runs the model, a core's share a pass
            if (a.get("infer_backend").equals("auto") && embtune.onnx.OnnxRuntimePasses.refusal(model) == null) {
                int workers = EmbeddingServer.workers(model, Integer.parseInt(a.get("workers")));
                embtune.onnx.OnnxRuntimePasses.attach(model, Math.max(1, Runtime.getRuntime().availableProcessors() / workers));
            }
            var opts = EmbeddingServer.Options.defaults().port(0).maxBatchSize(Integer.parseInt(a.get("max_batch_size")))
                    .maxWaitMs(Long.parseLong(a.get("max_wait_ms"))).workers(Integer.parseInt(a.get("workers")));
            ObjectMapper json = new ObjectMapper();
            ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
            AtomicLong texts = new AtomicLong(), retried = new AtomicLong(), wrong = new AtomicLong();
            long t0, t1;
            long[] batches;
            double serverCpu;
            Map<String, Double> perThread = new LinkedHashMap<>();
            try (EmbeddingServer server = EmbeddingServer.start(model, opts)) {
                int port = server.address().getPort();
                ExecutorService exec = Executors.newFixedThreadPool(clients);
                // the first --warmup seconds are not counted: the JIT compiles the HTTP and JSON paths then, on the
                // same cores (in-process embed below is measured warm too, after the reference vectors)
                t0 = System.nanoTime() + (long) (Double.parseDouble(a.get("warmup")) * 1e9);
                long start = t0, end = t0 + seconds * 1_000_000_000L;
                List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    Random rnd = new Random(c);
                    fs.add(exec.submit(() -> {
                        Client client = new Client(port);
                        try {
                            while (System.nanoTime() < end) {
                                List<String> batch = new ArrayList<>();
                                for (int k = 0; k < perRequest; k++) batch.add(pool.get(rnd.nextInt(pool.size())));
                                long s = System.nanoTime();
                                int status = client.post("/v1/embeddings", json.writeValueAsBytes(Map.of("input", batch)));
                                if (status == 503) { retried.incrementAndGet(); Thread.sleep(10); continue; }
                                if (status != 200) throw new IllegalStateException("HTTP " + status + ": " + new String(client.body, 0, client.length));
                                boolean counted = s >= start;
                                if (counted) latencies.add(System.nanoTime() - s);
                                List<float[]> got = embeddings(json, client.body, client.length);
                                for (int k = 0; k < batch.size(); k++) {
                                    float[] want = truth.get(batch.get(k)), v = got.get(k);
                                    for (int d = 0; d < want.length; d++)
                                        if (Math.abs(v[d] - want[d]) > 1e-5) { wrong.incrementAndGet(); break; }
                                }
                                if (counted) texts.addAndGet(batch.size());
                            }
                        } finally {
                            client.close();
                        }
                        return null;
                    }));
                }
                Thread.sleep(Math.max(0, (t0 - System.nanoTime()) / 1_000_000));
                long[] counts0 = server.counts();
                long cpu0 = processCpu();
                Map<String, Long> threads0 = threadCpu();
                for (var f : fs) f.get();
                t1 = System.nanoTime();
                serverCpu = (processCpu() - cpu0) / 1e6;
                threadCpu().forEach((k, v) -> perThread.put(k, (v - threads0.getOrDefault(k, 0L)) / 1e6));
                long[] counts1 = server.counts();
                batches = new long[] {counts1[0] - counts0[0], counts1[1] - counts0[1]};
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
            out.put("workers", a.get("workers").equals("0") ? "auto" : a.get("workers"));
            out.put("passes", model.passes() == null ? "libtorch" : model.passes().toString());
            out.put("requests", l.size());
            out.put("requests_per_s", round(l.size() / secs));
            out.put("texts_per_s", round(texts.get() / secs));
            out.put("p50_ms", round(l.get(l.size() / 2) / 1e6));
            out.put("p99_ms", round(l.get(Math.min(l.size() - 1, (int) (l.size() * 0.99))) / 1e6));
            out.put("retried_503", retried.get());
            out.put("answers_differing_from_embed", wrong.get());
            out.put("mean_batch", round((double) batches[1] / Math.max(1, batches[0])));
            out.put("process_cpu_ms_per_text", round(serverCpu / Math.max(1, texts.get())));
            // where that CPU time went: the workers run the forward passes (libtorch's helper threads, when a worker has
            // more than one core, count under other_threads), connections read, tokenize and write JSON, clients are this bench
            Map<String, Object> where = new LinkedHashMap<>();
            perThread.forEach((k, v) -> where.put(k, round(v / Math.max(1, texts.get()))));
            out.put("cpu_ms_per_text_by_thread", where);
            System.out.println(json.writeValueAsString(out));

            // the same number of texts through embed in-process, max_batch_size at a time
            List<String> same = new ArrayList<>();
            Random rnd = new Random(0);
            for (long i = 0; i < texts.get(); i++) same.add(pool.get(rnd.nextInt(pool.size())));
            int b = opts.maxBatchSize();
            long s = System.nanoTime(), cpu0 = processCpu();
            for (int i = 0; i < same.size(); i += b) model.embed(same.subList(i, Math.min(same.size(), i + b)));
            double inProc = same.size() / ((System.nanoTime() - s) / 1e9);
            Map<String, Object> ip = new LinkedHashMap<>();
            ip.put("bench", "embed_in_process");
            ip.put("texts", same.size());
            ip.put("texts_per_s", round(inProc));
            ip.put("process_cpu_ms_per_text", round((processCpu() - cpu0) / 1e6 / Math.max(1, same.size())));
            ip.put("server_over_in_process", round(texts.get() / secs / inProc));
            System.out.println(json.writeValueAsString(ip));
        }
    }

    /**
     * CPU time of this process's threads in nanoseconds, by what they do, from Linux's /proc/self/task
     * (which also sees libtorch's, the JIT's and the GC's threads); empty elsewhere.
     */
    static Map<String, Long> threadCpu() {
        Map<String, Long> out = new LinkedHashMap<>();
        try (var tasks = java.nio.file.Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String name = java.nio.file.Files.readString(t.resolve("comm")).strip(), stat = java.nio.file.Files.readString(t.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime, in USER_HZ (100 per second)
                    String group = name.startsWith("embtune-batcher") ? "model_workers" : name.startsWith("embtune-http") ? "connections"
                            : name.startsWith("pool-") ? "clients" : name.contains("Compiler") ? "jit" : name.startsWith("G") ? "gc" : "other_threads";
                    out.merge(group, ticks * 10_000_000L, Long::sum);
                } catch (java.io.IOException | RuntimeException e) {
                    // the thread ended while being read
                }
            }
        } catch (java.io.IOException e) {
            return Map.of(); // not Linux
        }
        return out;
    }

    /** CPU time of this whole process (server, clients and libtorch's threads), in nanoseconds. */
    static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** The "embedding" arrays of an answer, in order, read by Jackson's streaming parser (no tree of 384 nodes per vector). */
    static List<float[]> embeddings(ObjectMapper json, byte[] body, int length) throws java.io.IOException {
        List<float[]> out = new ArrayList<>();
        try (com.fasterxml.jackson.core.JsonParser p = json.getFactory().createParser(body, 0, length)) {
            float[] v = new float[1024];
            for (com.fasterxml.jackson.core.JsonToken t; (t = p.nextToken()) != null; ) {
                if (t != com.fasterxml.jackson.core.JsonToken.FIELD_NAME || !p.currentName().equals("embedding")) continue;
                p.nextToken(); // [
                int n = 0;
                while (p.nextToken() != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
                    if (n == v.length) v = java.util.Arrays.copyOf(v, 2 * n);
                    v[n++] = p.getFloatValue();
                }
                out.add(java.util.Arrays.copyOf(v, n));
            }
        }
        return out;
    }

    /**
     * One client's kept-alive HTTP/1.1 connection on a plain socket, as a load generator would hold it:
     * the JDK's HttpClient costs a selector thread and several hand-offs per request, and on 2 cores
     * whatever the clients spend is taken from the server.
     */
    static final class Client implements AutoCloseable {
        private final int port;
        private java.net.Socket socket;
        private java.io.InputStream in;
        private java.io.OutputStream out;
        byte[] body = new byte[64 << 10];
        int length;

        Client(int port) {
            this.port = port;
        }

        /** Sends one POST and reads its answer into {@link #body}; the status code. */
        int post(String path, byte[] json) throws java.io.IOException {
            if (socket == null) {
                socket = new java.net.Socket("127.0.0.1", port);
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(120_000);
                in = new java.io.BufferedInputStream(socket.getInputStream(), 64 << 10);
                out = new java.io.BufferedOutputStream(socket.getOutputStream(), 8 << 10);
            }
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + json.length
                    + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            out.write(json);
            out.flush();
            String status = line();
            int code = Integer.parseInt(status.split(" ")[1]);
            int contentLength = 0;
            boolean close = false;
            for (String h; !(h = line()).isEmpty(); ) {
                String lower = h.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("content-length:")) contentLength = Integer.parseInt(h.substring(15).strip());
                if (lower.startsWith("connection:") && lower.contains("close")) close = true;
            }
            if (body.length < contentLength) body = new byte[contentLength];
            for (int at = 0; at < contentLength; ) {
                int n = in.read(body, at, contentLength - at);
                if (n < 0) throw new java.io.EOFException("the answer ended early");
                at += n;
            }
            length = contentLength;
            if (close) close();
            return code;
        }

        private String line() throws java.io.IOException {
            StringBuilder b = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) throw new java.io.EOFException("the connection closed");
                if (c != '\r') b.append((char) c);
            }
            return b.toString();
        }

        @Override
        public void close() {
            try {
                if (socket != null) socket.close();
            } catch (java.io.IOException ignored) {
                // closing: nothing more to release
            }
            socket = null;
        }
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
