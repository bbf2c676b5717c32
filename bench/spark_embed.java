///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//SOURCES ../spark/src/main/java/**/*.java
//SOURCES ../spark/src/test/java/embtune/spark/StandaloneCluster.java
//FILES log4j2.properties=../spark/src/main/resources/embtune/spark/log4j2-command.properties
//DEPS org.apache.spark:spark-sql_2.13:4.2.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.2
//RUNTIME_OPTIONS -Dslf4j.provider=org.apache.logging.slf4j.SLF4JServiceProvider -Xmx4g -XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true
//DESCRIPTION Documents/s embedding 20k STS-B sentences: in-process embed, Spark local[1], local[2], a 2-worker standalone cluster

import embtune.hub.DefaultModel;
import embtune.model.Embedder;
import embtune.spark.EmbedCorpus;
import embtune.spark.ModelSource;
import embtune.spark.StandaloneCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * One JSON line per way of embedding the same corpus: documents/s, and Spark's overhead against
 * in-process embedding. The corpus: every STS-B sentence (train, dev, test; ../shared/data), then
 * sentence pairs joined, until there are --docs documents.
 * Usage: spark_embed [--model DIR] [--docs 20000] [--data ../shared/data/stsbenchmark] [--skip cluster]
 */
public class spark_embed {
    public static void main(String[] args) throws Exception {
        String model = arg(args, "--model", DefaultModel.path().toString());
        int n = Integer.parseInt(arg(args, "--docs", "20000"));
        Path data = Path.of(arg(args, "--data", "../shared/data/stsbenchmark"));
        String skip = arg(args, "--skip", "");
        List<String> docs = corpus(data, n);
        Path dir = Files.createTempDirectory("embtune-spark-bench");
        Path input = dir.resolve("corpus.jsonl");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) lines.add(json.writeValueAsString(Map.of("id", i, "text", docs.get(i))));
        Files.write(input, lines);
        Path warm = Files.write(dir.resolve("warm.jsonl"), lines.subList(0, Math.min(512, lines.size())));

        long t = System.nanoTime();
        try (Embedder m = Embedder.load(Path.of(model))) {
            m.embed(docs.subList(0, Math.min(512, docs.size()))); // warm-up, as the Spark runs get
            t = System.nanoTime();
            m.embed(docs);
        }
        double inProcess = docs.size() / ((System.nanoTime() - t) / 1e9);
        report("in-process embed", docs.size(), inProcess, inProcess);

        for (String master : List.of("local[1]", "local[2]")) {
            if (skip.contains(master)) continue;
            SparkSession spark = SparkSession.builder().master(master).config("spark.ui.enabled", "false").getOrCreate();
            try {
                report("spark " + master, docs.size(), run(spark, model, input, warm, dir.resolve(master.replaceAll("\\W", "-") + ".parquet"), false), inProcess);
            } finally {
                spark.stop();
            }
        }
        if (!skip.contains("cluster")) {
            try (StandaloneCluster cluster = StandaloneCluster.start(Files.createDirectories(dir.resolve("cluster")), 2)) {
                SparkSession.Builder b = SparkSession.builder().master(cluster.url()).config("spark.executor.memory", "1g");
                StandaloneCluster.appConf().forEach((k, v) -> { if (!k.equals("spark.executor.memory")) b.config(k, v); });
                SparkSession spark = b.getOrCreate();
                try {
                    StandaloneCluster.awaitExecutors(spark.sparkContext(), 2, 600_000);
                    report("spark standalone, 2 workers x 1 core", docs.size(), run(spark, model, input, warm, dir.resolve("cluster.parquet"), true), inProcess);
                } finally {
                    spark.stop();
                }
            }
        }
    }

    /** Documents/s of one EmbedCorpus run, after a short one on 512 documents (model load on every executor, JIT). */
    static double run(SparkSession spark, String model, Path input, Path warm, Path out, boolean ship) {
        ModelSource source = ModelSource.resolve(model, null, null);
        EmbedCorpus.of(source).input(warm.toString()).output(out + ".warm").ship(ship).partitions(8).run(spark);
        EmbedCorpus.Result r = EmbedCorpus.of(source).input(input.toString()).output(out.toString()).ship(ship).partitions(8).run(spark);
        return r.rowsPerSecond();
    }

    static List<String> corpus(Path data, int n) throws Exception {
        LinkedHashSet<String> sentences = new LinkedHashSet<>();
        List<String[]> pairs = new ArrayList<>();
        for (String f : List.of("sts-train.csv", "sts-dev.csv", "sts-test.csv"))
            for (String line : Files.readAllLines(data.resolve(f))) {
                String[] c = line.split("\t");
                sentences.add(c[5]);
                sentences.add(c[6]);
                pairs.add(new String[] {c[5], c[6]});
            }
        List<String> docs = new ArrayList<>(sentences);
        for (int i = 0; docs.size() < n && i < pairs.size(); i++) docs.add(pairs.get(i)[0] + " " + pairs.get(i)[1]);
        return docs.subList(0, Math.min(n, docs.size()));
    }

    static void report(String mode, int docs, double perSecond, double inProcess) {
        System.out.printf("{\"mode\": \"%s\", \"documents\": %d, \"documents_per_s\": %.1f, \"vs_in_process\": %.2f, \"cores\": %d}%n",
                mode, docs, perSecond, perSecond / inProcess, Runtime.getRuntime().availableProcessors());
    }

    static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) if (args[i].equals(name)) return args[i + 1];
        return fallback;
    }
}
