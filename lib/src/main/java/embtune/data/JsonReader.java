package embtune.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
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
        try (Utf8Lines in = new Utf8Lines(path)) {
            for (;;) {
                String text;
                try {
                    text = in.next();
                } catch (Utf8Lines.TooLong e) {
                    sink.invalid(e);
                    continue;
                }
                if (text == null) break;
                long line = in.line();
                if (text.isBlank()) continue;
                JsonNode row;
                try (JsonParser p = JSON.createParser(text)) {
                    row = JSON.readTree(p);
                    // a line holds one value: "{...}{...}" or "{...}garbage" is an error, not its first object
                    if (p.nextToken() != null) {
                        sink.invalid(new DataError(file, line, null, "malformed JSON: content after the first value"
                                + " (one JSON object per line)"));
                        continue;
                    }
                } catch (JsonProcessingException e) {
                    sink.invalid(new DataError(file, line, null, "malformed JSON: " + e.getOriginalMessage().lines().findFirst().orElse("")));
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
        try (JsonParser p = JSON.createParser(Fields.utf8(path))) {
            if (p.nextToken() != JsonToken.START_ARRAY)
                throw new DataError(file, p.currentLocation().getLineNr(), null, "a .json data file must hold one array of rows");
            while (p.nextToken() != JsonToken.END_ARRAY) {
                long line = p.currentLocation().getLineNr();
                JsonNode row = p.readValueAsTree();
                convert(file, line, row, format, sink);
            }
            if (p.nextToken() != null)
                throw new DataError(file, p.currentLocation().getLineNr(), null, "content after the closing ] of the array");
        } catch (JsonProcessingException e) {
            throw new DataError(file, e.getLocation() == null ? 0 : e.getLocation().getLineNr(), null,
                    "malformed JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new DataError(file, 0, null, Utf8Lines.NOT_UTF8);
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
