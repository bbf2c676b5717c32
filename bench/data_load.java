///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//JAVA_OPTIONS -Xmx4g
//DESCRIPTION Data loading benchmark: rows/s and retained heap for a generated JSONL file (default 1M rows)

import embtune.data.Dataset;
import java.io.BufferedWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Prints one JSON line: rows, file bytes, seconds, rows/s, retained heap and its ratio to the file. */
public class data_load {
    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Path file = Files.createTempFile("embtune-bench", ".jsonl");
        Random rnd = new Random(0);
        String[] words = "the a man woman dog plays guitar runs across field snowy child watches quickly red blue".split(" ");
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (int i = 0; i < rows; i++)
                w.write("{\"query\": \"" + sentence(rnd, words) + "\", \"response\": \"" + sentence(rnd, words)
                        + "\", \"rejected_response\": [\"" + sentence(rnd, words) + "\"]}\n");
        }
        long bytes = Files.size(file);
        long before = heap();
        long t0 = System.nanoTime();
        Dataset d = Dataset.load(file.toString());
        double secs = (System.nanoTime() - t0) / 1e9;
        long retained = heap() - before;
        System.out.printf("{\"bench\":\"data_load\",\"rows\":%d,\"file_mb\":%.1f,\"seconds\":%.2f,\"rows_per_s\":%.0f,"
                + "\"retained_heap_mb\":%.1f,\"heap_to_file\":%.2f}%n",
                d.size(), bytes / 1e6, secs, d.size() / secs, retained / 1e6, (double) retained / bytes);
        Files.delete(file);
    }

    static String sentence(Random rnd, String[] words) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0, n = 5 + rnd.nextInt(12); i < n; i++) sb.append(i == 0 ? "" : " ").append(words[rnd.nextInt(words.length)]);
        return sb.append('.').toString();
    }

    static long heap() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
