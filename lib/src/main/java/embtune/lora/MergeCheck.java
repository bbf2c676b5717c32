package embtune.lora;

import embtune.model.Embedder;
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

    /** The texts a check embeds and where they came from. */
    public record Texts(List<String> texts, String source) {
        /** Sentences of several kinds and languages, for an adapter whose run has no validation data. */
        public static Texts builtIn() {
            return new Texts(BUILT_IN, "built-in sentences");
        }
    }

    @Override
    public String toString() {
        return String.format("merge check: largest difference between base + adapter and the merged model over %d texts (%s): %.3g, %s %.0e",
                texts, source, largestDifference, passed() ? "within" : "ABOVE", LIMIT);
    }
}
