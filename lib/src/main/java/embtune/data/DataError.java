package embtune.data;

import java.nio.file.Path;

/**
 * Bad input data, located: which file, which line (1-based, 0 when not line-based) and which
 * field. The message reads like a compiler error so a user can jump to the spot.
 */
public class DataError extends RuntimeException {
    private final String file;
    private final long line;
    private final String field;

    public DataError(String file, long line, String field, String problem) {
        super(format(file, line, field, problem));
        this.file = file;
        this.line = line;
        this.field = field;
    }

    public DataError(Path file, long line, String field, String problem) {
        this(String.valueOf(file), line, field, problem);
    }

    private static String format(String file, long line, String field, String problem) {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) sb.append(':').append(line);
        if (field != null) sb.append(": field '").append(field).append('\'');
        return sb.append(": ").append(problem).toString();
    }

    public String file() { return file; }
    public long line() { return line; }
    public String field() { return field; }
}
