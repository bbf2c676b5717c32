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
