package embtune.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * JSONL (one object per line) and JSON-array files in the ms-swift formats. Both stream: a line
 * or an array element is parsed, converted and dropped, so memory follows the records kept.
 * The first valid row fixes the format; a later row in the other format is an error.
 */
final class JsonReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonReader() {}

    static void readJsonl(Path path, RowSink sink) {
        String file = path.toString();
        SwiftRow.Format[] format = {null};
        try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            String text;
            long line = 0;
            while ((text = in.readLine()) != null) {
                line++;
                if (text.isBlank()) continue;
                JsonNode row;
                try {
                    row = JSON.readTree(text);
                } catch (JsonProcessingException e) {
                    sink.invalid(new DataError(file, line, null, "malformed JSON: " + e.getOriginalMessage()));
                    continue;
                }
                convert(file, line, row, format, sink);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    static void readArray(Path path, RowSink sink) {
        String file = path.toString();
        SwiftRow.Format[] format = {null};
        try (JsonParser p = JSON.createParser(path.toFile())) {
            if (p.nextToken() != JsonToken.START_ARRAY)
                throw new DataError(file, p.currentLocation().getLineNr(), null, "a .json data file must hold one array of rows");
            while (p.nextToken() != JsonToken.END_ARRAY) {
                long line = p.currentLocation().getLineNr();
                JsonNode row = p.readValueAsTree();
                convert(file, line, row, format, sink);
            }
        } catch (JsonProcessingException e) {
            throw new DataError(file, e.getLocation() == null ? 0 : e.getLocation().getLineNr(), null,
                    "malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static void convert(String file, long line, JsonNode row, SwiftRow.Format[] format, RowSink sink) {
        try {
            SwiftRow.Format f = SwiftRow.formatOf(file, line, row);
            if (format[0] == null) format[0] = f;
            else if (format[0] != f)
                throw new DataError(file, line, null, "mixed formats: this row is in the " + f.name
                        + " format, earlier rows in the " + format[0].name + " format");
            sink.accept(line, SwiftRow.parse(file, line, row, f));
        } catch (DataError e) {
            sink.invalid(e);
        }
    }
}
