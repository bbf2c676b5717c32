package embtune.nn;

import java.util.ArrayList;
import java.util.List;

/** Numbered children ({@code layers.0}, {@code layers.1}, ...), like torch.nn.ModuleList. */
public final class ModuleList<M extends Module> extends Module {
    private final List<M> items = new ArrayList<>();

    public M add(M m) {
        child(String.valueOf(items.size()), m);
        items.add(m);
        return m;
    }

    public List<M> items() {
        return items;
    }
}
