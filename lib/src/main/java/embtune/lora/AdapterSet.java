package embtune.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import embtune.engine.ScriptFunction;
import embtune.model.Embedder;
import embtune.nn.Linear;
import embtune.weights.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Many LoRA adapters on one base model, chosen per batch row: one model in memory answers for every
 * fine-tune of it, and a batch mixing adapters costs one forward pass.
 *
 * <p>For each adapted linear layer the adapters' matrices are stacked, slot 0 all zeros (the base
 * itself) and ranks padded with zeros to the largest (a zero row of A and column of B add nothing):
 * A [K+1, r, in], B [K+1, out, r], scaling [K+1]. A forward pass adds to row i of the base output
 * {@code s[k] * (x_i A[k]^T) B[k]^T}, k the row's slot, as two batched products over matrices gathered
 * per row (torch.bmm): the same work as one adapter on every row, whatever the mix.
 *
 * <pre>
 * var set = AdapterSet.on(base).add("support", Path.of("out/v1-.../checkpoint-200")).add("legal", ...);
 * float[][] v = base.embedTokens(rows, (chunk, forward) -&gt; set.route(names(chunk), forward));
 * </pre>
 * Adapters from a folder ({@link #watch}) are loaded again by {@link #reload}: new and changed ones
 * read, removed ones dropped, a broken one reported and skipped. The adapters' own matrices stay on
 * the Java heap, from which the stacks are rebuilt on every change.
 */
public final class AdapterSet implements AutoCloseable {
    /** One adapter as read from its folder: per layer {A [r, in], B [out, r]} as flat floats. */
    private record Loaded(Path dir, int rank, float scaling, Map<String, float[][]> layers, String stamp) {}

    /** What a load or reload did: adapters read, skipped with why, and dropped. */
    public record Report(List<String> loaded, Map<String, String> skipped, List<String> removed) {
        @Override
        public String toString() {
            return "loaded " + loaded + (skipped.isEmpty() ? "" : ", skipped " + skipped) + (removed.isEmpty() ? "" : ", removed " + removed);
        }
    }

    /** The stacks a forward pass reads: slot k+1 is names.get(k). */
    private record Bank(List<String> names, Map<String, NDArray[]> stacks, NDArray scalings, NDManager manager) {}

    // y += (s_row * (x A_row^T)) B_row^T per batch row, in place; A, B and s gathered by each row's slot
    static final ScriptFunction PER_ROW = new ScriptFunction("PerRowLora", "y, x, a, b, s, rows",
            "return y.baddbmm_(torch.bmm(x, a.index_select(0, rows).transpose(1, 2).to(x.dtype)) * s.index_select(0, rows).view(-1, 1, 1).to(x.dtype),"
                    + " b.index_select(0, rows).transpose(1, 2).to(x.dtype))");

    private final Embedder base;
    private final Map<String, Linear> linears;
    private final Map<String, Loaded> adapters = new TreeMap<>(); // guarded by this
    private final java.util.Set<String> fromDir = new java.util.HashSet<>(); // names loaded from the watched folder; guarded by this
    private final ReentrantLock forward = new ReentrantLock(); // held while a batch runs: the bank is not swapped under it
    private Path dir;
    private volatile Bank bank;
    // the slots of the batch under way on this thread, read by the layers' hooks; other threads' passes see none (the base)
    private final ThreadLocal<NDArray> rows = new ThreadLocal<>();

    private AdapterSet(Embedder base) {
        this.base = base;
        this.linears = new LinkedHashMap<>();
        base.encoder().namedModules().forEach((path, m) -> {
            if (m instanceof Linear lin && !path.contains(".lora_")) linears.put(path, lin);
        });
        this.bank = build(List.of(), Map.of());
    }

    /** An empty set on {@code base}; its linear layers learn to add each row's adapter. */
    public static AdapterSet on(Embedder base) {
        if (base.hasVision()) throw new IllegalArgumentException(base.name() + " has a vision tower; per-request adapters serve text models only");
        // a layer with its own adapter ignores the per-row ones: the vectors would be neither base nor adapter
        if (!Lora.parameters(base.encoder()).isEmpty())
            throw new IllegalArgumentException(base.name() + " has a LoRA adapter attached; serve adapters beside the base by name (--adapters NAME=CKPT)");
        AdapterSet set = new AdapterSet(base);
        set.linears.forEach((name, lin) -> lin.rowAdapters((y, x) -> set.addRows(name, y, x)));
        return set;
    }

    /** Adds (or replaces) the adapter in {@code dir} under {@code name}; a broken one is an error naming the folder. */
    public synchronized AdapterSet add(String name, Path dir) {
        if (name.isBlank() || name.equals(base.name()))
            throw new IllegalArgumentException("adapter name '" + name + "' is empty or the base model's own");
        adapters.put(name, read(dir));
        fromDir.remove(name);
        rebuild();
        return this;
    }

    /** Also serves every adapter folder in {@code dir} (loaded now and again by {@link #reload}). */
    public AdapterSet watch(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--adapters_dir " + dir + " is not a folder");
        synchronized (this) {
            this.dir = dir;
        }
        return this;
    }

    public synchronized Path watched() {
        return dir;
    }

    /**
     * Reads the watched folder again: new and changed adapter folders are loaded, folders gone are
     * dropped, a broken one is reported and skipped (a changed one that breaks keeps its last good
     * version). Adapters added by name are not touched.
     */
    public synchronized Report reload() {
        List<String> loaded = new ArrayList<>(), removed = new ArrayList<>();
        Map<String, String> skipped = new TreeMap<>();
        if (dir == null) return new Report(loaded, skipped, removed);
        Map<String, Path> found = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(Files::isDirectory).forEach(p -> found.put(p.getFileName().toString(), p));
        } catch (IOException e) {
            skipped.put(dir.toString(), "cannot list the folder: " + e.getMessage());
        }
        for (var e : found.entrySet()) {
            String name = e.getKey();
            if (adapters.containsKey(name) && !fromDir.contains(name)) {
                skipped.put(name, "the name is taken by --adapters " + adapters.get(name).dir());
                continue;
            }
            if (name.equals(base.name())) {
                skipped.put(name, "the name is the base model's own");
                continue;
            }
            try {
                Loaded old = adapters.get(name);
                if (old != null && old.stamp().equals(stamp(e.getValue()))) continue;
                adapters.put(name, read(e.getValue()));
                fromDir.add(name);
                loaded.add(name);
            } catch (RuntimeException ex) {
                skipped.put(name, oneLine(ex));
            }
        }
        for (String name : List.copyOf(fromDir))
            if (!found.containsKey(name)) {
                adapters.remove(name);
                fromDir.remove(name);
                removed.add(name);
            }
        if (!loaded.isEmpty() || !removed.isEmpty()) rebuild();
        return new Report(loaded, skipped, removed);
    }

    /** The adapters served, by name, sorted. */
    public List<String> names() {
        return bank.names();
    }

    public boolean has(String name) {
        return bank.names().contains(name);
    }

    /**
     * Runs {@code forward} (one batch) with row i served by adapter {@code perRow.get(i)} (null: the
     * base model). An adapter unknown here is an {@link IllegalArgumentException} naming it.
     */
    public <T> T route(List<String> perRow, Supplier<T> forward) {
        this.forward.lock();
        try {
            Bank b = bank;
            long[] slots = new long[perRow.size()];
            for (int i = 0; i < slots.length; i++) {
                String name = perRow.get(i);
                int k = name == null ? -1 : b.names().indexOf(name);
                if (name != null && k < 0) throw new IllegalArgumentException("no adapter '" + name + "' is loaded (any more)");
                slots[i] = k + 1;
            }
            try (NDArray r = b.manager().create(slots)) {
                rows.set(r);
                return forward.get();
            } finally {
                rows.remove();
            }
        } finally {
            this.forward.unlock();
        }
    }

    /** The hook on layer {@code name}: y [B, T, out] += each row's adapter product of x [B, T, in]; rows without a route pass. */
    private NDArray addRows(String name, NDArray y, NDArray x) {
        NDArray slots = rows.get();
        NDArray[] ab = bank.stacks().get(name);
        if (slots == null || ab == null) return y;
        if (x.getShape().dimension() != 3 || x.getShape().get(0) != slots.size())
            throw new IllegalStateException("per-row adapters need [batch, tokens, features] inputs; layer " + name + " got " + x.getShape());
        if (!PER_ROW.available()) throw new IllegalStateException("per-row adapters need TorchScript, which this libtorch refused");
        return PER_ROW.apply(y, x, ab[0], ab[1], bank.scalings(), slots);
    }

    // ---- reading and stacking ------------------------------------------------------------------

    /** An adapter folder checked against the base: every tensor an adapted linear layer's A or B, of its shape, none missing. */
    private Loaded read(Path dir) {
        LoraConfig c = Adapter.readConfig(dir);
        Path file = dir.resolve(Adapter.WEIGHTS);
        if (!Files.isRegularFile(file)) throw new embtune.ModelError(dir + ": no " + Adapter.WEIGHTS);
        Safetensors st = Safetensors.open(file);
        Map<String, float[][]> layers = new TreeMap<>();
        try (NDManager tmp = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            for (var t : st.tensors().entrySet()) {
                String module = Adapter.moduleName(t.getKey());
                int at = module.lastIndexOf(".lora_");
                String layer = at < 0 ? module : module.substring(0, at);
                Linear lin = linears.get(layer);
                boolean isA = module.endsWith(".lora_A.weight"), isB = module.endsWith(".lora_B.weight");
                if (lin == null || !(isA || isB))
                    throw new embtune.ModelError(file + ": tensor '" + t.getKey() + "' matches no linear layer of " + base.name());
                long[] want = isA ? new long[] {c.r(), lin.in} : new long[] {lin.out, c.r()};
                if (!java.util.Arrays.equals(want, t.getValue().shape()))
                    throw new embtune.ModelError(file + ": '" + t.getKey() + "' has shape " + java.util.Arrays.toString(t.getValue().shape())
                            + " but " + base.name() + "'s layer needs " + java.util.Arrays.toString(want) + " (an adapter of another base model?)");
                float[] values = st.load(t.getKey(), tmp).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                layers.computeIfAbsent(layer, k -> new float[2][])[isA ? 0 : 1] = values;
            }
        }
        for (var e : layers.entrySet())
            if (e.getValue()[0] == null || e.getValue()[1] == null)
                throw new embtune.ModelError(file + ": layer " + e.getKey() + " has lora_" + (e.getValue()[0] == null ? "B but no lora_A" : "A but no lora_B"));
        if (layers.isEmpty()) throw new embtune.ModelError(file + ": no LoRA tensors");
        return new Loaded(dir, c.r(), (float) c.scaling(), layers, stamp(dir));
    }

    /** What changes when an adapter folder is rewritten: its two files' sizes and times. */
    private static String stamp(Path dir) {
        StringBuilder b = new StringBuilder();
        for (String f : List.of(Adapter.CONFIG, Adapter.WEIGHTS)) {
            try {
                Path p = dir.resolve(f);
                b.append(Files.size(p)).append('@').append(Files.getLastModifiedTime(p).toMillis()).append(';');
            } catch (IOException e) {
                b.append("missing;");
            }
        }
        return b.toString();
    }

    /** New stacks from the adapters held, swapped in between batches; the old ones freed. */
    private void rebuild() {
        Bank next = build(List.copyOf(adapters.keySet()), adapters);
        Bank old;
        forward.lock();
        try {
            old = bank;
            bank = next;
        } finally {
            forward.unlock();
        }
        old.manager().close();
    }

    private Bank build(List<String> names, Map<String, Loaded> byName) {
        int k = names.size() + 1, r = 1;
        Map<String, Linear> used = new LinkedHashMap<>();
        for (String n : names) {
            Loaded a = byName.get(n);
            r = Math.max(r, a.rank());
            for (String layer : a.layers().keySet()) used.put(layer, linears.get(layer));
        }
        NDManager m = base.manager().newSubManager();
        Map<String, NDArray[]> stacks = new LinkedHashMap<>();
        for (var e : used.entrySet()) {
            int in = (int) e.getValue().in, out = (int) e.getValue().out;
            float[] a = new float[k * r * in], b = new float[k * out * r];
            for (int s = 1; s < k; s++) {
                Loaded ad = byName.get(names.get(s - 1));
                float[][] ab = ad.layers().get(e.getKey());
                if (ab == null) continue; // this adapter leaves the layer alone: its slot stays zero
                System.arraycopy(ab[0], 0, a, s * r * in, ad.rank() * in); // A [rank, in] fills the first rank rows of [r, in]
                for (int o = 0; o < out; o++) System.arraycopy(ab[1], o * ad.rank(), b, (s * out + o) * r, ad.rank()); // B [out, rank] into [out, r]
            }
            stacks.put(e.getKey(), new NDArray[] {m.create(a, new Shape(k, r, in)), m.create(b, new Shape(k, out, r))});
        }
        float[] s = new float[k];
        for (int i = 1; i < k; i++) s[i] = byName.get(names.get(i - 1)).scaling();
        return new Bank(names, stacks, m.create(s), m);
    }

    private static String oneLine(RuntimeException e) {
        return String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName());
    }

    /** Unhooks the layers and frees the stacks (the base model stays as it was). */
    @Override
    public void close() {
        linears.values().forEach(lin -> lin.rowAdapters(null));
        forward.lock();
        try {
            bank.manager().close();
        } finally {
            forward.unlock();
        }
    }

    @Override
    public String toString() {
        return "AdapterSet on " + base.name() + ": " + names() + (dir == null ? "" : " (and " + dir + ")");
    }
}
