package embtune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The golden fixtures in src/test/resources/fixtures (tests run from lib/), made by fixtures/generate.py; -Dembtune.fixtures=DIR tests against another set it made. */
public final class Fixtures {
    public static final Path ROOT = Path.of(System.getProperty("embtune.fixtures", Path.of("src", "test", "resources", "fixtures").toString()));

    private Fixtures() {}

    public static Path dir(String name) {
        return ROOT.resolve(name);
    }

    private static final java.util.Map<String, Path> WITHOUT_DROPOUT = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A copy of the fixture whose config sets every dropout to 0 (tiny-bert's are 0.1, as MiniLM's), for tests that compare
     * training runs exactly. Made once per test JVM under target/, so every test class may share it.
     */
    public static Path withoutDropout(String name) {
        return WITHOUT_DROPOUT.computeIfAbsent(name, Fixtures::copyWithoutDropout);
    }

    private static Path copyWithoutDropout(String name) {
        try {
            Path src = dir(name), dir = Path.of("target", "fixtures-without-dropout", name);
            try (var files = java.nio.file.Files.walk(src)) {
                for (Path f : files.toList()) if (java.nio.file.Files.isRegularFile(f)) {
                    Path to = dir.resolve(src.relativize(f).toString());
                    java.nio.file.Files.createDirectories(to.getParent());
                    java.nio.file.Files.copy(f, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            ObjectMapper json = new ObjectMapper();
            var config = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(dir.resolve("config.json").toFile());
            for (String k : java.util.List.of("hidden_dropout_prob", "attention_probs_dropout_prob", "attention_dropout", "embedding_dropout", "mlp_dropout"))
                config.put(k, 0.0);
            json.writeValue(dir.resolve("config.json").toFile(), config);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode json(String relative) {
        try {
            return new ObjectMapper().readTree(ROOT.resolve(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static float[] floats(JsonNode arr) {
        float[] out = new float[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) arr.get(i).asDouble();
        return out;
    }

    public static float[][] matrix(JsonNode arr) {
        float[][] out = new float[arr.size()][];
        for (int i = 0; i < out.length; i++) out[i] = floats(arr.get(i));
        return out;
    }

    public static long[][] longs(JsonNode arr) {
        long[][] out = new long[arr.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new long[arr.get(i).size()];
            for (int j = 0; j < out[i].length; j++) out[i][j] = arr.get(i).get(j).asLong();
        }
        return out;
    }

    public static java.util.List<String> strings(JsonNode arr) {
        java.util.List<String> out = new java.util.ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Largest absolute difference, to report how close a match is. */
    public static double maxDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError("lengths " + a.length + " vs " + b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    public static double maxDiff(float[][] a, float[][] b) {
        if (a.length != b.length) throw new AssertionError("rows " + a.length + " vs " + b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, maxDiff(a[i], b[i]));
        return m;
    }
}
