package embtune.data;

import blue.strategic.parquet.Hydrator;
import blue.strategic.parquet.HydratorSupplier;
import blue.strategic.parquet.ParquetReader;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.stream.Stream;

/**
 * Parquet files (as hub data sets store them), read with parquet-floor (parquet-java without
 * Hadoop). Each row becomes a JSON object and goes the way a JSONL row goes, so the same formats
 * and column names work: query/response, messages (as JSON text), or named columns like
 * sentence1/sentence2/score. Flat columns only: a list column (negatives as a list) is refused
 * with its name. "Line" numbers in errors are row numbers, from 1.
 */
final class ParquetFile {
    private ParquetFile() {}

    static void read(Path path, RowSink sink) {
        String file = path.toString();
        Hydrator<ObjectNode, ObjectNode> toJson = new Hydrator<>() {
            @Override
            public ObjectNode start() {
                return JsonNodeFactory.instance.objectNode();
            }

            @Override
            public ObjectNode add(ObjectNode row, String column, Object value) {
                if (value == null) row.putNull(column);
                else if (value instanceof Number n) row.put(column, n.doubleValue());
                else if (value instanceof Boolean b) row.put(column, b);
                else row.put(column, value.toString());
                return row;
            }

            @Override
            public ObjectNode finish(ObjectNode row) {
                return row;
            }
        };
        long line = 0;
        try (Stream<ObjectNode> rows = ParquetReader.streamContent(path.toFile(), HydratorSupplier.constantly(toJson))) {
            Iterator<ObjectNode> it = rows.iterator();
            while (true) {
                ObjectNode row;
                try {
                    if (!it.hasNext()) break;
                    row = it.next();
                } catch (RuntimeException e) {
                    String why = String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
                    throw new DataError(file, line + 1, null, why.contains("repetition")
                            ? "a list column (e.g. negatives as a list); give one negative per column (negative_1, negative_2, ...)"
                            : "unreadable parquet row: " + why);
                }
                line++;
                try {
                    sink.accept(line, SwiftRow.parse(file, line, row, SwiftRow.formatOf(file, line, row)));
                } catch (DataError e) {
                    sink.invalid(e);
                }
            }
        } catch (java.io.IOException e) {
            throw new DataError(file, 0, null, "not a readable parquet file: " + e.getMessage());
        }
    }
}
