package embtune.model;

import embtune.ModelError;
import embtune.vision.ImageText;
import java.util.List;

/** A text model's inputs: the tokenizer's ids; an input that holds an image is refused. */
final class TextInputs implements ModelInputs {
    private final TextTokenizer tokenizer;
    private final String model;

    /** @param model how messages name the model: its folder and family */
    TextInputs(TextTokenizer tokenizer, String model) {
        this.tokenizer = tokenizer;
        this.model = model;
    }

    @Override
    public TextTokenizer.Batch encode(List<String> texts) {
        for (String t : texts)
            if (ImageText.hasImages(t))
                throw new ModelError("an input holds an image (" + ImageText.parse(t).images().get(0).getFileName() + "), but "
                        + model + " is a text model; images need a GME (qwen2_vl) model");
        return tokenizer.encode(texts);
    }

    @Override
    public long[] textIds(String text) {
        return tokenizer.ids(text);
    }

    @Override
    public int textLength(String text) {
        return tokenizer.length(text);
    }
}
