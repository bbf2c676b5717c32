package embtune.model;

import java.util.List;

/** The registry: every family embtune can load, a line each. */
public final class Families {
    private Families() {}

    public static final List<Family> ALL = List.of(
            QwenFamily.QWEN3,
            QwenFamily.QWEN2,
            new BertFamily(),
            new ModernBertFamily(),
            new GmeFamily());
}
