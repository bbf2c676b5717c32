package embtune.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.model.Embedder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a merged model folder gives its adapter's vectors: a few texts embedded with base +
 * adapter and with the merged folder, and the largest difference of any component. Users of
 * ms-swift keep finding merges that do not (its issues 4084, 5450, 5703): nothing checks one when
 * it is made. Above {@link #LIMIT} the merge is wrong, not rounding: float32 merging moves vectors
 * by about 1e-7.
 *
 * @param source where the texts came from (the run's validation data, or built-in sentences)
 */
public record MergeCheck(int texts, double largestDifference, String source) {
    public static final double LIMIT = 1e-4;

    static final List<String> BUILT_IN = List.of("A man is playing a guitar.", "The stock market fell sharply today.",
            "How do I reset my password?", "Der Hund schläft auf dem Sofa.", "Photosynthesis turns light into chemical energy.",
            "The contract may be terminated with 30 days' notice.", "best pizza near the station", "今天天气很好。");

    public boolean passed() {
        return largestDifference <= LIMIT;
    }

    /** Embeds the texts with both models and compares. */
    public static MergeCheck of(Embedder withAdapter, Embedder merged, Texts texts) {
        return of(withAdapter.embed(texts.texts()), merged, texts);
    }

    /** Compares vectors made with base + adapter to the merged model's vectors of the same texts. */
    public static MergeCheck of(float[][] withAdapter, Embedder merged, Texts texts) {
        float[][] b = merged.embed(texts.texts());
        double worst = 0;
        for (int i = 0; i < withAdapter.length; i++)
            for (int d = 0; d < withAdapter[i].length; d++) worst = Math.max(worst, Math.abs(withAdapter[i][d] - b[i][d]));
        return new MergeCheck(texts.texts().size(), worst, texts.source());
    }

    /** The one line a failed check ends with, naming the merged folder (kept, for inspection). */
    public String failure(java.nio.file.Path merged) {
        return String.format("the merged model in %s does not give the adapter's vectors (largest difference %.3g > %.0e); the folder is kept "
                + "for inspection, but do not use it", merged, largestDifference, LIMIT);
    }

    /**
     * Up to 8 texts from the validation data of the run the adapter checkpoint belongs to (its
     * args.json's val_dataset), else built-in sentences of several kinds and languages; the second
     * element names which.
     */
    public static Texts texts(Path adapters) {
        Path args = adapters.toAbsolutePath().normalize().resolveSibling("args.json");
        try {
            JsonNode val = new ObjectMapper().readTree(args.toFile()).path("val_dataset");
            List<String> specs = new ArrayList<>();
            if (val.isArray()) val.forEach(v -> specs.add(v.asText()));
            else if (val.isTextual() && !val.asText().isBlank()) specs.add(val.asText());
            List<String> out = new ArrayList<>();
            for (String spec : specs)
                for (embtune.data.Record r : embtune.data.Dataset.load(spec)) {
                    if (out.size() == 8) break;
                    out.add(r.anchor());
                }
            if (!out.isEmpty()) return new Texts(out, "the run's validation data " + specs);
        } catch (Exception e) {
            // no run folder, no val_dataset, or it moved: the built-in texts serve
        }
        return new Texts(BUILT_IN, "built-in sentences");
    }

    public record Texts(List<String> texts, String source) {}

    @Override
    public String toString() {
        return String.format("merge check: largest difference between base + adapter and the merged model over %d texts (%s): %.3g, %s %.0e",
                texts, source, largestDifference, passed() ? "within" : "ABOVE", LIMIT);
    }
}
