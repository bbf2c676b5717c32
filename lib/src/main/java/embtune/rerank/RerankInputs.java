package embtune.rerank;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.ModelError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * How (query, document) pairs become a reranker's inputs.
 * <ul>
 * <li>cross-encoders: the tokenizer's pair encoding, {@code [CLS] query [SEP] document [SEP]} with
 *     token types 0 then 1, cut longest-first to max_length, padded on the right (as
 *     sentence-transformers' CrossEncoder calls the tokenizer);
 * <li>generative rerankers: Qwen3-Reranker's prompt, its system line, then
 *     {@code <Instruct>: i\n<Query>: q\n<Document>: d} as the user turn and an empty think block
 *     opening the assistant turn; the middle is cut so prefix and suffix always fit; padded on the
 *     left so every row ends at the last position.
 * </ul>
 */
public final class RerankInputs implements AutoCloseable {
    public static final String QWEN3_SYSTEM = "Judge whether the Document meets the requirements based on the Query and the Instruct "
            + "provided. Note that the answer can only be \"yes\" or \"no\".";
    public static final String DEFAULT_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query";
    static final String PREFIX = "<|im_start|>system\n" + QWEN3_SYSTEM + "<|im_end|>\n<|im_start|>user\n";
    static final String SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";

    /** Padded rows: ids, attention mask and token types, all [B, T]. */
    public record Batch(long[][] ids, long[][] mask, long[][] types) {
        public NDList toNDList(NDManager m, boolean withTypes) {
            NDList out = new NDList(m.create(ids), m.create(mask));
            if (withTypes) out.add(m.create(types));
            return out;
        }

        public int size() {
            return ids.length;
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final boolean generative;
    private final int maxLength;
    private final long padId;
    private final String instruction;
    private final long[] prefix, suffix;

    RerankInputs(Path dir, boolean generative, int maxLength, String instruction, Integer configPadId) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.exists(file)) throw new ModelError(dir + ": no tokenizer.json (embtune reads fast-tokenizer files only)");
        try {
            tokenizer = generative
                    ? HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(false).optTruncation(false).optPadding(false).build()
                    : HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(true).optTruncation(true)
                            .optMaxLength(maxLength).optPadding(false).build();
        } catch (IOException | RuntimeException e) {
            throw new ModelError(file + ": cannot load tokenizer: " + e.getMessage(), e);
        }
        this.generative = generative;
        this.maxLength = maxLength;
        this.instruction = instruction;
        this.padId = padId(dir, configPadId);
        this.prefix = generative ? tokenizer.encode(PREFIX).getIds() : null;
        this.suffix = generative ? tokenizer.encode(SUFFIX).getIds() : null;
        if (generative && prefix.length + suffix.length >= maxLength)
            throw new ModelError("max_length " + maxLength + " leaves no room for the document: Qwen3-Reranker's prompt alone takes "
                    + (prefix.length + suffix.length) + " tokens");
    }

    /** The user turn of Qwen3-Reranker's prompt. */
    public static String qwen3Content(String instruction, String query, String document) {
        return "<Instruct>: " + instruction + "\n<Query>: " + query + "\n<Document>: " + document;
    }

    /** Row i is (queries[i], documents[i]). */
    public Batch encode(List<String> queries, List<String> documents) {
        if (queries.size() != documents.size()) throw new IllegalArgumentException(queries.size() + " queries for " + documents.size() + " documents");
        long[][] ids = new long[documents.size()][], types = new long[documents.size()][];
        for (int i = 0; i < ids.length; i++) {
            if (generative) {
                long[] content = tokenizer.encode(qwen3Content(instruction, queries.get(i), documents.get(i))).getIds();
                content = Arrays.copyOf(content, Math.min(content.length, maxLength - prefix.length - suffix.length));
                ids[i] = concat(prefix, content, suffix);
                types[i] = new long[ids[i].length];
            } else {
                Encoding e = tokenizer.encode(queries.get(i), documents.get(i));
                ids[i] = e.getIds();
                types[i] = e.getTypeIds();
            }
        }
        return pad(ids, types);
    }

    private Batch pad(long[][] rows, long[][] rowTypes) {
        int longest = Arrays.stream(rows).mapToInt(r -> r.length).max().orElse(0);
        long[][] ids = new long[rows.length][longest], mask = new long[rows.length][longest], types = new long[rows.length][longest];
        for (int i = 0; i < rows.length; i++) {
            int n = rows[i].length, off = generative ? longest - n : 0;
            Arrays.fill(ids[i], padId);
            System.arraycopy(rows[i], 0, ids[i], off, n);
            System.arraycopy(rowTypes[i], 0, types[i], off, n);
            Arrays.fill(mask[i], off, off + n, 1);
        }
        return new Batch(ids, mask, types);
    }

    /** A token's id, or -1 when the vocabulary lacks it as one token. */
    long tokenId(String token) {
        long[] ids = tokenizer.encode(token, false, false).getIds();
        return ids.length == 1 ? ids[0] : -1;
    }

    private long padId(Path dir, Integer configPadId) {
        try {
            Path cfg = dir.resolve("tokenizer_config.json");
            if (Files.exists(cfg)) {
                JsonNode pad = new ObjectMapper().readTree(cfg.toFile()).get("pad_token");
                String text = pad == null || pad.isNull() ? null : pad.isTextual() ? pad.asText() : pad.path("content").asText(null);
                if (text != null) {
                    long id = tokenId(text);
                    if (id >= 0) return id;
                }
            }
        } catch (IOException e) {
            throw new ModelError(dir.resolve("tokenizer_config.json") + ": not valid JSON: " + e.getMessage());
        }
        return configPadId == null ? 0 : configPadId;
    }

    private static long[] concat(long[]... parts) {
        long[] out = new long[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    public int maxLength() {
        return maxLength;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
