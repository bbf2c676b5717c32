package embtune.model;

import embtune.ModelError;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * {@code tokenizer.json} through DJL's HuggingFace tokenizers (offline, same ids as Python),
 * plus what sentence-transformers adds around it: truncation to a maximum length, padding to the
 * longest text on the configured side, and — for decoder models — a final {@code <|endoftext|>}
 * that truncation never drops, because that is the token whose state is pooled.
 */
public final class TextTokenizer implements AutoCloseable {
    public enum Side { LEFT, RIGHT }

    /** Token ids and attention mask, [B, T] each, padded; for a batch with images also their {@link VisionInputs}. */
    public record Batch(long[][] ids, long[][] mask, VisionInputs vision) {
        public Batch(long[][] ids, long[][] mask) {
            this(ids, mask, null);
        }

        public int size() { return ids.length; }
        public int length() { return ids.length == 0 ? 0 : ids[0].length; }

        public Batch withVision(VisionInputs v) {
            return new Batch(ids, mask, v);
        }

        /** [ids, mask], then for images [positions [3, B, T], patches [N, patch_dim], grids [images, 3]]. */
        public NDList toNDList(NDManager manager) {
            NDList out = new NDList(manager.create(ids), manager.create(mask));
            if (vision != null) {
                long[] flat = new long[3 * size() * length()];
                int k = 0;
                for (long[][] axis : vision.positions()) for (long[] row : axis) for (long p : row) flat[k++] = p;
                out.add(manager.create(flat, new ai.djl.ndarray.types.Shape(3, size(), length())));
                out.add(manager.create(vision.patches(), new ai.djl.ndarray.types.Shape(vision.patches().length / vision.patchDim(), vision.patchDim())));
                out.add(manager.create(vision.grids()));
            }
            return out;
        }

        public long tokens() {
            long n = 0;
            for (long[] row : mask) for (long m : row) n += m;
            return n;
        }
    }

    /** What a batch with images adds: M-RoPE positions [3][B][T], the images' patches (flat, patch_dim each) and grids (t, h, w). */
    public record VisionInputs(long[][][] positions, float[] patches, int patchDim, long[][] grids) {}

    private final HuggingFaceTokenizer tokenizer;  // no truncation: to measure and for decoders
    private final HuggingFaceTokenizer truncating; // truncates with the post-processor's tokens kept
    private final int maxLength;
    private final Side side;
    private final long padId;
    private final long eosId; // -1 unless we append it ourselves
    private final boolean appendsSpecials;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, HuggingFaceTokenizer truncating, int maxLength, Side side,
                          long padId, long eosId, boolean appendsSpecials) {
        this.tokenizer = tokenizer;
        this.truncating = truncating;
        this.maxLength = maxLength;
        this.side = side;
        this.padId = padId;
        this.eosId = eosId;
        this.appendsSpecials = appendsSpecials;
    }

    /**
     * @param maxLength tokens per text, special tokens included
     * @param decoder   whether the model pools its last token (then {@code <|endoftext|>} must end every text)
     */
    public static TextTokenizer load(Path dir, int maxLength, Side side, boolean decoder, int configPadId) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.exists(file)) throw new ModelError(dir + ": no tokenizer.json (embtune reads fast-tokenizer files only)");
        JsonNode tj, tc = null;
        try {
            tj = new ObjectMapper().readTree(file.toFile());
            Path cfg = dir.resolve("tokenizer_config.json");
            if (Files.exists(cfg)) tc = new ObjectMapper().readTree(cfg.toFile());
        } catch (IOException e) {
            throw new ModelError(file + ": not valid JSON: " + embtune.Json.problem(e));
        }
        HuggingFaceTokenizer hf, truncating;
        try {
            hf = HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(true)
                    .optTruncation(false).optPadding(false).build();
            truncating = HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(true)
                    .optTruncation(true).optMaxLength(maxLength).optPadding(false).build();
        } catch (IOException | RuntimeException e) {
            throw new ModelError(file + ": cannot load tokenizer: " + e.getMessage(), e);
        }
        long padId = tokenId(tj, tc == null ? null : tokenText(tc.get("pad_token")));
        if (padId < 0) padId = configPadId;
        long eos = -1;
        boolean appends = true;
        if (decoder) {
            eos = tokenId(tj, "<|endoftext|>");
            if (eos < 0 && tc != null) eos = tokenId(tj, tokenText(tc.get("eos_token")));
            if (eos < 0) throw new ModelError(file + ": decoder model but no <|endoftext|> or eos token to pool on");
            long[] probe = hf.encode("a").getIds();
            appends = probe.length > 0 && probe[probe.length - 1] == eos;
        }
        return new TextTokenizer(hf, truncating, maxLength, side, padId, eos, appends);
    }

    /** A token's text in tokenizer_config.json: a string or {"content": ...}. */
    private static String tokenText(JsonNode n) {
        if (n == null || n.isNull()) return null;
        return n.isTextual() ? n.asText() : n.path("content").asText(null);
    }

    private static long tokenId(JsonNode tokenizerJson, String text) {
        if (text == null) return -1;
        for (JsonNode t : tokenizerJson.path("added_tokens"))
            if (text.equals(t.path("content").asText())) return t.path("id").asLong();
        JsonNode vocab = tokenizerJson.path("model").path("vocab");
        if (vocab.isObject() && vocab.has(text)) return vocab.get(text).asLong();
        return -1;
    }

    /** Ids of one text, at most maxLength, with the special tokens (or the appended EOS) kept. */
    public long[] ids(String text) {
        if (appendsSpecials) return truncating.encode(text).getIds();
        long[] content = tokenizer.encode(text, false, false).getIds();
        long[] ids = Arrays.copyOf(content, Math.min(content.length, maxLength - 1) + 1);
        ids[ids.length - 1] = eosId;
        return ids;
    }

    /** Ids of a text exactly as written, special tokens in it recognised, nothing added or cut (prompts built by hand). */
    public long[] rawIds(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    /** Untruncated length in tokens (specials included), to report what truncation cut. */
    public int length(String text) {
        return tokenizer.encode(text).getIds().length + (appendsSpecials ? 0 : 1);
    }

    public Batch encode(List<String> texts) {
        long[][] rows = new long[texts.size()][];
        for (int i = 0; i < rows.length; i++) rows[i] = ids(texts.get(i));
        return pad(rows);
    }

    /** Token-id rows padded to the longest, on this tokenizer's padding side, with the attention mask. */
    public Batch pad(long[][] rows) {
        int longest = 0;
        for (long[] r : rows) longest = Math.max(longest, r.length);
        long[][] ids = new long[rows.length][longest], mask = new long[rows.length][longest];
        for (int i = 0; i < rows.length; i++) {
            int n = rows[i].length, off = side == Side.LEFT ? longest - n : 0;
            Arrays.fill(ids[i], padId);
            System.arraycopy(rows[i], 0, ids[i], off, n);
            Arrays.fill(mask[i], off, off + n, 1);
        }
        return new Batch(ids, mask);
    }

    public int maxLength() { return maxLength; }
    public Side side() { return side; }

    @Override
    public void close() {
        tokenizer.close();
        truncating.close();
    }

    @Override
    public String toString() {
        return "tokenizer (max " + maxLength + " tokens, pads " + side.name().toLowerCase() + (eosId >= 0 ? ", appends <|endoftext|>" : "") + ")";
    }
}
