package embtune.model;

import java.util.List;

/**
 * How a family turns texts into its encoder's inputs: plain tokenization for text models, GME's
 * prompt with images for Qwen2-VL. The serving path asks for one text's ids and length, taken
 * verbatim (an API text is never parsed for image tags).
 */
public interface ModelInputs {
    /** Token ids and attention mask (and, for images, pixels and positions) for a batch, padded to the longest. */
    TextTokenizer.Batch encode(List<String> texts);

    /** One text's ids as the model reads it, cut to max_length. */
    long[] textIds(String text);

    /** One text's length in tokens before any cut. */
    int textLength(String text);
}
