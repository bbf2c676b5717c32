package embtune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.hub.ModelResolver;
import embtune.lora.Adapter;
import embtune.rerank.RerankerAdapter;
import embtune.rerank.Reranker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code rerank --model R --query Q [DOC...]}: the documents (arguments, else {@code --file}, else
 * stdin, one per line) ordered by the reranker's relevance to the query, as a table or as JSON
 * lines with each document's input index and score.
 */
public final class RerankCommand {
    private RerankCommand() {}

    static Cli cli() {
        return new Cli("rerank", "order documents by a reranker's relevance to a query")
                .positionals("DOC", "documents to rerank (else --file, else one per line on stdin)")
                .option("model", null, "reranker folder or hub id: a cross-encoder (ms-marco-MiniLM, gte-reranker-modernbert) "
                        + "or Qwen3-Reranker; a LoRA adapter folder loads onto the base it records")
                .option("query", null, "the query (required)")
                .option("file", null, "read documents from this file, one per line")
                .option("format", "table", "table, or jsonl ({\"index\", \"score\", \"document\"} per line, best first)")
                .option("top_n", null, "print only the best N")
                .option("instruction", null, "Qwen3-Reranker's <Instruct> line (default: its web-search instruction)")
                .option("hub", null, "where hub ids come from: huggingface or modelscope")
                .option("batch_size", "32", "pairs per forward pass")
                .option("device", "auto", "auto, cpu, gpu or gpu:N")
                .option("max_length", null, "tokens per pair (default: the tokenizer's, 8192 for Qwen3-Reranker)");
    }

    public static void main(String[] argv) {
        cli().run(argv, a -> run(a, System.in, System.out));
    }

    static void run(Cli.Args a, java.io.InputStream stdin, PrintStream out) throws Exception {
        if (!a.has("model")) throw new Cli.UsageError("--model is required (a reranker folder or hub id)");
        if (!a.has("query")) throw new Cli.UsageError("--query is required");
        List<String> docs = new ArrayList<>(a.positionals());
        if (docs.isEmpty() && a.has("file")) docs.addAll(nonBlank(embtune.data.Utf8Lines.readAll(Path.of(a.get("file")))));
        if (docs.isEmpty()) docs.addAll(nonBlank(new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)).lines().toList()));
        if (docs.isEmpty()) throw new Cli.UsageError("no documents: pass them as arguments, with --file, or on stdin");
        int topN = a.has("top_n") ? a.integer("top_n") : docs.size();
        if (topN < 1) throw new Cli.UsageError("--top_n must be >= 1, got " + topN);
        var opts = Reranker.Options.defaults().device(a.get("device")).batchSize(a.integer("batch_size"))
                .maxLength(a.has("max_length") ? a.integer("max_length") : null).instruction(a.get("instruction"));
        try (Reranker r = load(a.get("model"), opts, Cli.hub(a))) {
            List<Reranker.Ranked> ranked = r.rank(a.get("query"), docs);
            ranked = ranked.subList(0, Math.min(topN, ranked.size()));
            switch (a.get("format").toLowerCase(Locale.ROOT)) {
                case "table" -> {
                    out.printf(Locale.ROOT, "%-5s %-6s %-8s %s%n", "rank", "index", "score", "document");
                    for (int i = 0; i < ranked.size(); i++) {
                        Reranker.Ranked x = ranked.get(i);
                        out.printf(Locale.ROOT, "%-5d %-6d %-8.4f %s%n", i + 1, x.index(), x.score(), shorten(x.document(), 100));
                    }
                }
                case "jsonl" -> {
                    ObjectMapper json = new ObjectMapper();
                    for (Reranker.Ranked x : ranked)
                        out.println(json.writeValueAsString(new java.util.LinkedHashMap<>(java.util.Map.of("index", x.index(), "score", x.score(),
                                "document", x.document()))).replace("\n", ""));
                }
                default -> throw new Cli.UsageError("--format must be table or jsonl");
            }
        }
    }

    /** A reranker folder, or a LoRA adapter folder on the base it records. */
    static Reranker load(String model, Reranker.Options opts, embtune.hub.Hub hub) {
        Path p = Path.of(model);
        if (!Adapter.isAdapter(p)) return Reranker.load(ModelResolver.resolve(model, hub), opts);
        String base = Adapter.baseModel(p);
        if (base == null || !java.nio.file.Files.isDirectory(Path.of(base)))
            throw new embtune.ModelError(p + ": its base model " + (base == null ? "is not recorded" : base + " is not a folder here"));
        Reranker r = Reranker.load(Path.of(base), opts);
        try {
            RerankerAdapter.load(r, p);
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    private static List<String> nonBlank(List<String> lines) {
        return lines.stream().filter(l -> !l.isBlank()).toList();
    }

    private static String shorten(String s, int n) {
        String one = s.replace('\n', ' ');
        return one.length() <= n ? one : one.substring(0, n - 3) + "...";
    }
}
