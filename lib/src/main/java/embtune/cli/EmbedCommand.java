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

/**
 * {@code embed --model DIR [TEXT...]}: embeddings of texts from arguments, a file, or stdin. With a
 * GME model, items may hold images: {@code --image PATH [TEXT]} embeds one, and a line of a file
 * (or stdin) that starts with {@code {} is a JSON object with {@code text} and/or {@code image}
 * (relative to that file).
 */
public final class EmbedCommand {
    private EmbedCommand() {}

    static Cli cli() {
        return new Cli("embed", "embed texts with a model folder")
                .positionals("TEXT", "texts to embed (else --file, else one per line on stdin)")
                .option("hub", null, "where hub ids come from: huggingface or modelscope (default huggingface; modelscope when USE_HF=0)")
                .option("model", null, "model folder (Hugging Face / sentence-transformers layout); default: the bundled all-MiniLM-L6-v2")
                .option("file", null, "read texts from this file, one per line; a line {\"text\": ..., \"image\": path} is an item (GME)")
                .option("image", null, "embed this image (PNG or JPEG), with the TEXT arguments as its text (GME models)")
                .option("format", "jsonl", "jsonl (one JSON array per text), csv, or table (cosine similarities)")
                .option("batch_size", "32", "texts per forward pass")
                .option("device", "auto", "auto, cpu, gpu or gpu:N")
                .option("precision", "fp32", "fp32 (default), bf16 (products in bfloat16, the rest float32; CPUs with avx512_bf16 or amx), fp16 or tf32")
                .option("max_length", null, "tokens per text (default: the model's)")
                .option("infer_backend", "pt", ModelArgs.INFER_BACKEND_HELP + "; pt by default here: writing the ONNX graph takes a "
                        + "second or two, which one command's few passes do not win back")
                .flag("query", "treat texts as queries: prepend the model's query prompt")
                .option("query_prompt", null, "query prompt, e.g. 'Instruct: ...\\nQuery:' (implies --query)")
                .option("adapters", null, "PEFT LoRA adapter folder to apply (its base is --model, or the one it records)");
    }

    public static void main(String[] argv) {
        cli().run(argv, a -> run(a, System.in, System.out));
    }

    static void run(Cli.Args a, java.io.InputStream stdin, PrintStream out) throws Exception {
        List<String> texts = new ArrayList<>();
        if (a.has("image")) {
            Path image = Path.of(a.get("image"));
            if (!java.nio.file.Files.isRegularFile(image)) throw new Cli.UsageError("--image " + image + ": no such file");
            texts.add(embtune.vision.ImageText.image(image) + plain(String.join(" ", a.positionals()), "arguments", 1));
        } else for (int i = 0; i < a.positionals().size(); i++) texts.add(plain(a.positionals().get(i), "arguments", i + 1));
        if (texts.isEmpty() && a.has("file")) {
            Path file = Path.of(a.get("file"));
            texts.addAll(items(embtune.data.Utf8Lines.readAll(file), file.toString(), file.toAbsolutePath().getParent()));
        }
        if (texts.isEmpty()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
            texts.addAll(items(in.lines().toList(), "stdin", Path.of("").toAbsolutePath()));
        }
        if (texts.isEmpty()) throw new Cli.UsageError("no texts: pass them as arguments, with --file, or on stdin");
        ModelArgs.inferBackend(a);
        var opts = Embedder.Options.defaults().device(a.get("device")).batchSize(a.integer("batch_size"))
                .maxLength(a.has("max_length") ? a.integer("max_length") : null).queryPrompt(a.get("query_prompt"));
        try (Embedder m = ModelArgs.load(a.get("model"), a.get("adapters"), opts, Cli.hub(a))) {
            ModelArgs.forInference(a, m);
            ModelArgs.inferBackend(a, m, "embed", Runtime.getRuntime().availableProcessors());
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

    /**
     * One item per non-blank line: plain text, or (a line starting with '{') a JSON object with
     * "text" and/or "image", the image path relative to {@code base}; the image goes before the text.
     */
    static List<String> items(List<String> lines, String where, Path base) {
        List<String> out = new ArrayList<>();
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            if (!line.stripLeading().startsWith("{")) {
                out.add(plain(line, where, i + 1));
                continue;
            }
            int n = i + 1;
            com.fasterxml.jackson.databind.JsonNode o;
            try {
                o = json.readTree(line);
            } catch (java.io.IOException e) {
                throw new embtune.data.DataError(where, n, null, "a line starting with '{' must be a JSON object {\"text\": ..., \"image\": ...}");
            }
            String text = o.path("text").isTextual() ? o.get("text").asText() : "";
            if (o.has("text") && !o.get("text").isTextual()) throw new embtune.data.DataError(where, n, "text", "expected a string");
            if (!o.has("image")) {
                if (text.isEmpty()) throw new embtune.data.DataError(where, n, null, "an item needs \"text\" or \"image\"");
                out.add(text);
                continue;
            }
            if (!o.get("image").isTextual()) throw new embtune.data.DataError(where, n, "image", "expected a path");
            Path image = base.resolve(o.get("image").asText()).normalize();
            if (!java.nio.file.Files.isRegularFile(image)) throw new embtune.data.DataError(where, n, "image", "no such image file: " + image);
            out.add(embtune.vision.ImageText.image(image) + plain(text, where, n));
        }
        return out;
    }

    /** A text as given: never embtune's internal image marker (images come from --image or an item's "image"). */
    private static String plain(String text, String where, int line) {
        if (embtune.vision.ImageText.hasImages(text))
            throw new embtune.data.DataError(where, line, null, "a text may not contain '<image:...>'; give images as {\"image\": path}");
        return text;
    }

    static String join(float[] row, String sep, String open, String close) {
        StringBuilder sb = new StringBuilder(open);
        for (int i = 0; i < row.length; i++) sb.append(i == 0 ? "" : sep).append(row[i]);
        return sb.append(close).toString();
    }
}
