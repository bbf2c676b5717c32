package embtune.model;

import embtune.ModelError;
import embtune.vision.ImageProcessor;
import embtune.vision.ImageText;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GME's embedding recipe (its gme_inference.py), turning texts with or without images into a
 * model batch:
 * <pre>
 * &lt;|im_start|&gt;system\n{instruction}&lt;|im_end|&gt;\n&lt;|im_start|&gt;user\n{content}&lt;|im_end|&gt;\n&lt;|im_start|&gt;assistant\n&lt;|endoftext|&gt;
 * </pre>
 * where each image in the content becomes {@code <|vision_start|>} + {@code <|image_pad|>} once per
 * merge window + {@code <|vision_end|>} (GME puts its one image before the text; ms-swift's
 * {@code <image>} tags say where), padded on the tokenizer's side (right, for GME), with the
 * processor's patches and transformers' M-RoPE positions (get_rope_index) when the batch has images.
 * The pooled state is the last real token's: the final {@code <|endoftext|>}.
 */
public final class GmeInputs implements ModelInputs {
    public static final String DEFAULT_INSTRUCTION = "You are a helpful assistant.";

    private final TextTokenizer tokenizer;
    private final ImageProcessor processor;
    private final ModelConfig.VisionConfig vision;
    private final String instruction;
    private final long endOfText;

    public GmeInputs(TextTokenizer tokenizer, ImageProcessor processor, ModelConfig.VisionConfig vision, String instruction) {
        this.tokenizer = tokenizer;
        this.processor = processor;
        this.vision = vision;
        this.instruction = instruction == null || instruction.isEmpty() ? DEFAULT_INSTRUCTION : instruction;
        long[] eos = tokenizer.rawIds("<|endoftext|>");
        if (eos.length != 1) throw new ModelError("the tokenizer has no <|endoftext|> token, which GME pools on");
        this.endOfText = eos[0];
        for (String special : List.of("<|vision_start|>", "<|image_pad|>", "<|vision_end|>", "<|im_start|>", "<|im_end|>"))
            if (tokenizer.rawIds(special).length != 1) throw new ModelError("the tokenizer lacks Qwen2-VL's special token " + special);
        if (tokenizer.rawIds("<|image_pad|>")[0] != vision.imageTokenId())
            throw new ModelError("the tokenizer's <|image_pad|> is id " + tokenizer.rawIds("<|image_pad|>")[0] + " but config.json's image_token_id is "
                    + vision.imageTokenId());
    }

    public ImageProcessor processor() { return processor; }
    public String instruction() { return instruction; }

    /** The prompt of one item, with its images' patches (in order). */
    record Item(long[] ids, List<ImageProcessor.Patches> images) {}

    Item item(String s) {
        ImageText it = ImageText.parse(s);
        StringBuilder content = new StringBuilder();
        List<ImageProcessor.Patches> images = new ArrayList<>();
        for (ImageText.Part p : it.parts()) {
            if (p.image() == null) {
                content.append(p.text());
                continue;
            }
            ImageProcessor.Patches patches = processor.process(p.image());
            images.add(patches);
            content.append("<|vision_start|>").append("<|image_pad|>".repeat(patches.tokens(vision.mergeSize()))).append("<|vision_end|>");
        }
        return new Item(promptIds(content.toString(), it.images()), images);
    }

    private String prompt(String content) {
        return "<|im_start|>system\n" + instruction + "<|im_end|>\n<|im_start|>user\n" + content + "<|im_end|>\n<|im_start|>assistant\n<|endoftext|>";
    }

    /** The prompt's ids for a text taken verbatim (no images; what the embeddings API serves), cut to max_length. */
    @Override
    public long[] textIds(String text) {
        return promptIds(text, List.of());
    }

    /** The prompt's untruncated length in tokens for a text taken verbatim. */
    @Override
    public int textLength(String text) {
        return tokenizer.rawIds(prompt(text)).length;
    }

    private long[] promptIds(String content, List<Path> images) {
        long[] ids = tokenizer.rawIds(prompt(content));
        int max = tokenizer.maxLength();
        if (ids.length > max) {
            // cut the text, never an image's tokens, and keep the final <|endoftext|> (the pooled token)
            int lastImage = -1;
            for (int i = 0; i < ids.length; i++) if (ids[i] == vision.imageTokenId()) lastImage = i;
            if (lastImage >= max - 2)
                throw new ModelError("an input needs " + (lastImage + 3) + " tokens for its images (" + images + "), more than max_length "
                        + max + "; raise --max_length or lower max_pixels in preprocessor_config.json");
            ids = Arrays.copyOf(ids, max);
            ids[max - 1] = endOfText;
        }
        return ids;
    }

    @Override
    public TextTokenizer.Batch encode(List<String> texts) {
        List<Item> items = new ArrayList<>();
        for (String t : texts) items.add(item(t));
        TextTokenizer.Batch padded = tokenizer.pad(items.stream().map(Item::ids).toArray(long[][]::new));
        if (items.stream().allMatch(i -> i.images().isEmpty())) return padded; // text only: positions 0..T-1
        List<ImageProcessor.Patches> all = new ArrayList<>();
        items.forEach(i -> all.addAll(i.images()));
        int dim = vision.patchDim(), rows = all.stream().mapToInt(ImageProcessor.Patches::count).sum();
        float[] patches = new float[rows * dim];
        long[][] grids = new long[all.size()][];
        int at = 0;
        for (int i = 0; i < all.size(); i++) {
            ImageProcessor.Patches p = all.get(i);
            System.arraycopy(p.values(), 0, patches, at, p.values().length);
            at += p.values().length;
            grids[i] = new long[] {p.t(), p.h(), p.w()};
        }
        return padded.withVision(new TextTokenizer.VisionInputs(positions(padded, grids), patches, dim, grids));
    }

    /**
     * transformers' get_rope_index: over each row's real tokens, text runs count on from the
     * current position on all three axes; an image's tokens get (current, current + window row,
     * current + window column), and the position after it is current + max(rows, columns) of
     * windows. Padding keeps position 0.
     */
    long[][][] positions(TextTokenizer.Batch batch, long[][] grids) {
        int b = batch.size(), t = batch.length(), m = vision.mergeSize(), image = 0;
        long[][][] pos = new long[3][b][t];
        for (int r = 0; r < b; r++) {
            long current = 0;
            int i = 0;
            long[] ids = batch.ids()[r], mask = batch.mask()[r];
            while (i < t) {
                if (mask[i] == 0) {
                    i++;
                    continue;
                }
                if (ids[i] != vision.imageTokenId()) {
                    for (int a = 0; a < 3; a++) pos[a][r][i] = current;
                    current++;
                    i++;
                    continue;
                }
                long[] g = grids[image++];
                long gh = g[1] / m, gw = g[2] / m;
                for (long tt = 0; tt < g[0]; tt++)
                    for (long y = 0; y < gh; y++)
                        for (long x = 0; x < gw; x++, i++) {
                            pos[0][r][i] = current + tt;
                            pos[1][r][i] = current + y;
                            pos[2][r][i] = current + x;
                        }
                current += Math.max(gh, gw);
            }
        }
        return pos;
    }

    @Override
    public String toString() {
        return "GME inputs (instruction \"" + instruction + "\", " + processor + ")";
    }
}
