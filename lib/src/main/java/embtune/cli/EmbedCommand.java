package embtune.cli;

import embtune.model.Embedder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code embed --model DIR [TEXT...]}: embeddings of texts from arguments, a file, or stdin. */
public final class EmbedCommand {
    private EmbedCommand() {}

    static Cli cli() {
        return new Cli("embed", "embed texts with a model folder")
                .positionals("TEXT", "texts to embed (else --file, else one per line on stdin)")
                .option("hub", null, "where hub ids come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
                .option("model", null, "model folder (Hugging Face / sentence-transformers layout); default: the bundled all-MiniLM-L6-v2")
                .option("file", null, "read texts from this file, one per line")
                .option("format", "jsonl", "jsonl (one JSON array per text), csv, or table (cosine similarities)")
                .option("batch_size", "32", "texts per forward pass")
                .option("device", "auto", "auto, cpu, gpu or gpu:N")
                .option("max_length", null, "tokens per text (default: the model's)")
                .flag("query", "treat texts as queries: prepend the model's query prompt")
                .option("query_prompt", null, "query prompt, e.g. 'Instruct: ...\\nQuery:' (implies --query)")
                .option("adapters", null, "PEFT LoRA adapter folder to apply (its base is --model, or the one it records)");
    }

    public static void main(String[] argv) {
        cli().run(argv, a -> run(a, System.in, System.out));
    }

    static void run(Cli.Args a, java.io.InputStream stdin, PrintStream out) throws Exception {
        List<String> texts = new ArrayList<>(a.positionals());
        if (texts.isEmpty() && a.has("file")) texts.addAll(nonBlank(embtune.data.Utf8Lines.readAll(Path.of(a.get("file")))));
        if (texts.isEmpty()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
            texts.addAll(nonBlank(in.lines().toList()));
        }
        if (texts.isEmpty()) throw new Cli.UsageError("no texts: pass them as arguments, with --file, or on stdin");
        var opts = Embedder.Options.defaults().device(a.get("device")).batchSize(a.integer("batch_size"))
                .maxLength(a.has("max_length") ? a.integer("max_length") : null).queryPrompt(a.get("query_prompt"));
        try (Embedder m = ModelArgs.load(a.get("model"), a.get("adapters"), opts, Cli.hub(a))) {
            boolean query = a.bool("query") || a.has("query_prompt");
            float[][] v = query ? m.embedQueries(texts) : m.embed(texts);
            switch (a.get("format").toLowerCase(Locale.ROOT)) {
                case "jsonl" -> { for (float[] row : v) out.println(join(row, ",", "[", "]")); }
                case "csv" -> { for (float[] row : v) out.println(join(row, ",", "", "")); }
                case "table" -> out.print(embtune.eval.Tables.text(embtune.eval.Tables.similarity(texts, v)));
                default -> throw new Cli.UsageError("--format must be jsonl, csv or table");
            }
        }
    }

    private static List<String> nonBlank(List<String> lines) {
        return lines.stream().filter(l -> !l.isBlank()).toList();
    }

    static String join(float[] row, String sep, String open, String close) {
        StringBuilder sb = new StringBuilder(open);
        for (int i = 0; i < row.length; i++) sb.append(i == 0 ? "" : sep).append(row[i]);
        return sb.append(close).toString();
    }
}
