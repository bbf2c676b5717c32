package embtune.mine;

import embtune.model.Embedder;
import java.util.List;

/** A model loaded in this process; its prompts are the ones config_sentence_transformers.json names. */
public final class LocalTeacher implements Teacher {
    private final Embedder model;
    private final boolean owned;

    /** A model the caller keeps (and closes). */
    public LocalTeacher(Embedder model) {
        this(model, false);
    }

    /** @param owned whether closing the teacher closes the model */
    public LocalTeacher(Embedder model, boolean owned) {
        this.model = model;
        this.owned = owned;
    }

    @Override
    public void close() {
        if (owned) model.close();
    }

    @Override
    public float[][] embed(List<String> texts) {
        return model.embed(texts);
    }

    @Override
    public String queryPrompt() {
        return model.queryPrompt();
    }

    /** sentence-transformers' encode_document: the first of the prompts "document", "passage", "corpus" the model has. */
    @Override
    public String documentPrompt() {
        if (model.dir() == null) return "";
        for (String name : List.of("document", "passage", "corpus")) {
            String p = model.dir().prompts().get(name);
            if (p != null) return p;
        }
        return "";
    }

    @Override
    public String name() {
        return model.name();
    }

    @Override
    public ai.djl.Device device() {
        return model.device();
    }

    @Override
    public String toString() {
        return "LocalTeacher " + model;
    }
}
