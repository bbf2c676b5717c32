///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//JAVA_OPTIONS -Xmx2g
//DESCRIPTION Many LoRA adapters: one serve process with N adapters vs N processes of one adapter each, under bench-serve's client load

import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.data.Dataset;
import embtune.lora.Adapter;
import embtune.lora.Lora;
import embtune.lora.LoraConfig;
import embtune.model.Embedder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * serve_adapters [--model all-MiniLM-L6-v2] [--adapters 1,4,16] [--clients 16] [--seconds 15] [--warmup 3] [--forward ROWS]
 *
 * For each N: writes N rank-8 all-linear LoRA adapters on the model (random A and B, so each
 * changes the vectors), then runs bench-serve's load (client threads in this process sending one
 * STS-B sentence per request back to back, each request for a random adapter) against
 * (a) one {@code serve} process with all N adapters ({@code --adapters a0=.. a1=..}), and
 * (b) N {@code serve} processes with one adapter each ({@code --adapters CKPT}), requests spread
 * over them. Each server answers three requests per target first, then the clients run a warm-up
 * (--warmup seconds, not counted) and the measured window. Prints one JSON line per setup: texts/s, p50/p99 latency, and the servers' peak
 * resident memory (VmHWM, summed over processes). Servers run as child processes of this one,
 * with default settings; the clients share the machine's cores with them.
 */
public class serve_adapters {
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("model", "all-MiniLM-L6-v2", "adapters", "1,4,16", "clients", "16",
                "seconds", "15", "warmup", "3"));
        if (List.of(args).contains("--help")) { // else --help alone would start the whole benchmark
            System.out.println("bench-serve-adapters (bench/serve_adapters.java): one serve process with N LoRA adapters vs N processes\n\n"
                    + "usage: bench-serve-adapters " + a.keySet().stream().map(k -> "[--" + k + " " + a.get(k) + "]")
                            .collect(java.util.stream.Collectors.joining(" ")) + " [--forward ROWS]");
            return;
        }
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        Path base = embtune.hub.ModelResolver.resolve(a.get("model"));
        List<Integer> counts = new ArrayList<>();
        for (String n : a.get("adapters").split(",")) counts.add(Integer.parseInt(n.trim()));
        int most = counts.stream().mapToInt(Integer::intValue).max().orElse(1);
        Path work = Files.createTempDirectory("embtune-bench-adapters");
        List<Path> adapters = writeAdapters(base, most, work);
        List<String> pool = new ArrayList<>();
        for (var r : Dataset.load(embtune.data.Bundled.find("stsb-test.jsonl").toString())) pool.add(r.anchor());
        if (a.containsKey("forward")) {
            forwardCost(base, adapters, pool, counts, Integer.parseInt(a.get("forward")));
            return;
        }
        int clients = Integer.parseInt(a.get("clients"));
        long seconds = Long.parseLong(a.get("seconds")), warmup = Long.parseLong(a.get("warmup"));
        for (int n : counts) {
            // (a) one process, n adapters
            List<String> flags = new ArrayList<>(List.of("--adapters"));
            for (int k = 0; k < n; k++) flags.add("a" + k + "=" + adapters.get(k));
            List<Server> one = List.of(Server.start(base, flags));
            List<Target> targets = new ArrayList<>();
            for (int k = 0; k < n; k++) targets.add(new Target(one.get(0).uri, "a" + k));
            print("one_process", n, one, load(targets, pool, clients, warmup, seconds));
            one.forEach(Server::stop);
            // (b) n processes, one adapter each (applied to the base as embed --adapters does)
            List<Server> many = new ArrayList<>();
            for (int k = 0; k < n; k++) many.add(Server.start(base, List.of("--adapters", adapters.get(k).toString())));
            targets.clear();
            for (Server s : many) targets.add(new Target(s.uri, null));
            print("process_per_adapter", n, many, load(targets, pool, clients, warmup, seconds));
            many.forEach(Server::stop);
        }
    }

    /**
     * --forward ROWS: the model alone, in this process, no HTTP: seconds per batch of ROWS sentences for the base, for one
     * adapter attached as embed --adapters does, and for N adapters served per row (rows spread over them), the mean of
     * 20 batches after 5 unmeasured. What the serving figures are made of.
     */
    static void forwardCost(Path base, List<Path> adapters, List<String> pool, List<Integer> counts, int rows) throws Exception {
        List<String> texts = pool.subList(0, rows);
        try (Embedder m = Embedder.load(base)) {
            List<long[]> ids = texts.stream().map(t -> m.tokenizer().ids(t)).toList();
            time("base", 0, rows, () -> m.embedTokens(ids));
            try (embtune.lora.AdapterSet set = embtune.lora.AdapterSet.on(m)) {
                for (int n : counts) {
                    for (int k = set.names().size(); k < n; k++) set.add("a" + k, adapters.get(k));
                    List<String> perRow = new ArrayList<>();
                    for (int i = 0; i < rows; i++) perRow.add("a" + (i % n));
                    time("per_row", n, rows, () -> m.embedTokens(ids, (chunk, forward) -> {
                        List<String> mine = new ArrayList<>();
                        for (int i : chunk) mine.add(perRow.get(i));
                        return set.route(mine, forward);
                    }));
                }
            }
        }
        try (Embedder m = Embedder.load(base)) {
            Adapter.load(m, adapters.get(0));
            List<long[]> ids = texts.stream().map(t -> m.tokenizer().ids(t)).toList();
            time("attached", 1, rows, () -> m.embedTokens(ids));
        }
    }

    static void time(String setup, int adapters, int rows, Runnable batch) throws Exception {
        for (int i = 0; i < 5; i++) batch.run();
        long s = System.nanoTime();
        for (int i = 0; i < 20; i++) batch.run();
        double ms = (System.nanoTime() - s) / 1e6 / 20;
        System.out.println(JSON.writeValueAsString(Map.of("bench", "serve_adapters_forward", "setup", setup, "adapters", adapters, "rows", rows,
                "ms_per_batch", round(ms))));
    }

    record Target(URI uri, String model) {}

    record Result(long texts, double seconds, List<Long> latencies, long failed) {}

    /** N adapters of rank 8 on every linear layer, A and B random (B zero would be the base itself). */
    static List<Path> writeAdapters(Path base, int n, Path dir) throws Exception {
        List<Path> out = new ArrayList<>();
        try (Embedder m = Embedder.load(base)) {
            LoraConfig c = LoraConfig.defaults().dropout(0);
            for (int k = 0; k < n; k++) {
                var layers = Lora.apply(m, c, 1000 + k);
                for (var p : Lora.parameters(m.encoder()).entrySet())
                    if (p.getKey().contains(".lora_B.")) {
                        var b = p.getValue().getArray();
                        b.addi(m.manager().randomUniform(-0.05f, 0.05f, b.getShape()));
                    }
                Path d = dir.resolve("adapter-" + k);
                Files.createDirectories(d);
                Adapter.writeInto(m, c, base.toAbsolutePath().toString(), d);
                layers.values().forEach(embtune.nn.Linear::detachLora);
                out.add(d);
            }
        }
        return out;
    }

    /** A serve child process on a free loopback port. */
    static final class Server {
        final Process process;
        final URI uri;

        private Server(Process p, URI uri) {
            this.process = p;
            this.uri = uri;
        }

        static Server start(Path base, List<String> flags) throws Exception {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "embtune.cli.ServeCommand", "--model", base.toString(), "--port", "0",
                    "--max_connections_per_client", "0"));
            cmd.addAll(flags);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
            Pattern at = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+)/v1");
            StringBuilder seen = new StringBuilder();
            for (String line; (line = out.readLine()) != null; ) {
                seen.append(line).append('\n');
                Matcher m = at.matcher(line);
                if (m.find()) {
                    Thread drain = new Thread(() -> { // the server's later lines, until it exits
                        try {
                            while (out.readLine() != null) ;
                        } catch (java.io.IOException ended) {
                            // the process is gone
                        }
                    });
                    drain.setDaemon(true);
                    drain.start();
                    return new Server(p, URI.create(m.group(1) + "/v1/embeddings"));
                }
            }
            throw new IllegalStateException("serve did not start:\n" + seen);
        }

        /** Peak resident memory in KiB (VmHWM). */
        long peakKiB() {
            try {
                for (String l : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status")))
                    if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("\\D", ""));
            } catch (Exception e) {
                // gone
            }
            return -1;
        }

        void stop() {
            process.destroy(); // SIGTERM: the server drains and exits
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** bench-serve's load: each client sends one random sentence per request to a random target, back to back. */
    static Result load(List<Target> targets, List<String> pool, int clients, long warmup, long seconds) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        // every server (and adapter) answers once before the clock starts: a process's first requests pay for its JIT and
        // first-use compiles, which would otherwise land in the measured window when there are many processes
        for (Target t : targets) {
            Map<String, Object> body = new LinkedHashMap<>(Map.of("input", List.of(pool.get(0))));
            if (t.model() != null) body.put("model", t.model());
            for (int i = 0; i < 3; i++)
                http.send(HttpRequest.newBuilder(t.uri()).POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                        HttpResponse.BodyHandlers.ofString());
        }
        ExecutorService exec = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime(), measureFrom = start + warmup * 1_000_000_000L, end = measureFrom + seconds * 1_000_000_000L;
        AtomicLong texts = new AtomicLong(), failed = new AtomicLong();
        List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Random rnd = new Random(c);
            fs.add(exec.submit(() -> {
                while (System.nanoTime() < end) {
                    Target t = targets.get(rnd.nextInt(targets.size()));
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("input", List.of(pool.get(rnd.nextInt(pool.size()))));
                    if (t.model() != null) body.put("model", t.model());
                    long s = System.nanoTime();
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(t.uri()).POST(HttpRequest.BodyPublishers.ofString(
                            JSON.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
                    long e = System.nanoTime();
                    if (s < measureFrom) continue; // warm-up: JIT, first TorchScript compiles
                    if (r.statusCode() != 200) {
                        failed.incrementAndGet();
                        continue;
                    }
                    latencies.add(e - s);
                    texts.incrementAndGet();
                }
                return null;
            }));
        }
        for (var f : fs) f.get();
        exec.shutdown();
        return new Result(texts.get(), (System.nanoTime() - measureFrom) / 1e9, new ArrayList<>(latencies), failed.get());
    }

    static void print(String setup, int adapters, List<Server> servers, Result r) throws Exception {
        List<Long> l = r.latencies();
        java.util.Collections.sort(l);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("bench", "serve_adapters");
        out.put("setup", setup);
        out.put("adapters", adapters);
        out.put("processes", servers.size());
        out.put("texts_per_s", round(r.texts() / r.seconds()));
        out.put("p50_ms", l.isEmpty() ? null : round(l.get(l.size() / 2) / 1e6));
        out.put("p99_ms", l.isEmpty() ? null : round(l.get(Math.min(l.size() - 1, (int) (l.size() * 0.99))) / 1e6));
        out.put("failed", r.failed());
        out.put("peak_rss_mib", round(servers.stream().mapToLong(Server::peakKiB).sum() / 1024.0));
        System.out.println(JSON.writeValueAsString(out));
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
