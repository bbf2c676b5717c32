package embtune.model;

import java.util.List;
import java.util.Random;

/** A random-weight model's inputs (benchmarks): each text becomes {@code tokens} random ids, seeded. */
final class RandomInputs implements ModelInputs {
    private final int vocabSize, tokens;
    private final long seed;

    RandomInputs(int vocabSize, int tokens, long seed) {
        this.vocabSize = vocabSize;
        this.tokens = tokens;
        this.seed = seed;
    }

    @Override
    public TextTokenizer.Batch encode(List<String> texts) {
        Random r = new Random(seed ^ texts.hashCode());
        long[][] ids = new long[texts.size()][tokens], mask = new long[texts.size()][tokens];
        for (int i = 0; i < ids.length; i++)
            for (int t = 0; t < tokens; t++) {
                ids[i][t] = 1000 + r.nextInt(Math.max(1, vocabSize - 1000)); // clear of the special tokens at the start
                mask[i][t] = 1;
            }
        return new TextTokenizer.Batch(ids, mask);
    }

    @Override
    public long[] textIds(String text) {
        return encode(List.of(text)).ids()[0];
    }

    @Override
    public int textLength(String text) {
        return tokens;
    }
}
