package embtune.mine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import embtune.data.DataError;
import embtune.data.Utf8Lines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Documents to mine negatives from, besides the positives:
 * <ul>
 *   <li>a {@code .jsonl} file, one object per line with {@code text} or {@code response} (BEIR's
 *       {@code title} goes before the text, as embtune's retrieval evaluation joins them);
 *   <li>a BEIR folder (its {@code corpus.jsonl});
 *   <li>any other file: plain UTF-8 text, one document per line.
 * </ul>
 * Blank lines are skipped; anything else that is not a text is an error naming the line.
 */
public final class Corpus {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Corpus() {}

    public static List<String> read(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("corpus.jsonl") : path;
        if (!Files.isRegularFile(file))
            throw new DataError(file, 0, null, Files.isDirectory(path) ? "a corpus folder needs corpus.jsonl (BEIR layout)" : "no such file");
        boolean jsonl = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl");
        List<String> lines = Utf8Lines.readAll(file);
        List<String> docs = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            docs.add(jsonl ? fromJson(file, i + 1, line) : plain(file, i + 1, line));
        }
        if (docs.isEmpty()) throw new DataError(file, 0, null, "no documents (the corpus is empty)");
        return docs;
    }

    private static String fromJson(Path file, int line, String text) {
        JsonNode o;
        try {
            o = JSON.readTree(text);
        } catch (IOException e) {
            throw new DataError(file, line, null, "malformed JSON (a .jsonl corpus holds one {\"text\": ...} object per line)");
        }
        if (o == null || !o.isObject()) throw new DataError(file, line, null, "expected a JSON object with \"text\" or \"response\"");
        String field = o.has("text") ? "text" : o.has("response") ? "response" : null;
        if (field == null) throw new DataError(file, line, null, "no \"text\" or \"response\" field");
        JsonNode v = o.get(field);
        if (!v.isTextual()) throw new DataError(file, line, field, "expected a string, got " + v.getNodeType().toString().toLowerCase(Locale.ROOT));
        if (v.asText().isBlank()) throw new DataError(file, line, field, "empty text");
        JsonNode title = o.get("title");
        if (title != null && !title.isNull() && !title.isTextual()) throw new DataError(file, line, "title", "expected a string");
        String t = title == null || title.isNull() ? "" : title.asText();
        return t.isEmpty() ? v.asText() : t + " " + v.asText();
    }

    private static String plain(Path file, int line, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0 || Character.isISOControl(c) && c != '\t' && c != '\r')
                throw new DataError(file, line, null, "not text (control character U+" + String.format("%04X", (int) c)
                        + "); a corpus is UTF-8 text, one document per line");
        }
        return text;
    }
}
