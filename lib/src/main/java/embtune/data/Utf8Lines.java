package embtune.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Lines of a UTF-8 file, decoded one at a time so that bytes which are not UTF-8 are reported
 * with the line they are on (a {@code BufferedReader} decodes ahead and cannot say). A leading
 * byte-order mark is skipped, as Python's utf-8-sig does; {@code \r\n} endings are accepted.
 */
public final class Utf8Lines implements Closeable {
    /** What every reader says of bytes that are not UTF-8. */
    static final String NOT_UTF8 = "not valid UTF-8 text (save the file as UTF-8)";

    private final InputStream in;
    private final String file;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private long line;

    Utf8Lines(Path path) throws IOException {
        this.in = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
        this.file = path.toString();
    }

    /** Every line of a text file; bytes that are not UTF-8 are a {@link DataError} naming the line. */
    public static java.util.List<String> readAll(Path path) {
        java.util.List<String> out = new java.util.ArrayList<>();
        try (Utf8Lines in = new Utf8Lines(path)) {
            for (String l; (l = in.next()) != null; ) out.add(l);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DataError(path, 0, null, "no such file");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + path, e);
        }
        return out;
    }

    /** The next line without its ending, or null at the end of the file. */
    String next() throws IOException {
        buf.reset();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') buf.write(b);
        if (b < 0 && buf.size() == 0) return null;
        line++;
        byte[] bytes = buf.toByteArray();
        int from = line == 1 && bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF ? 3 : 0;
        int to = bytes.length > from && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        try {
            return utf8.decode(ByteBuffer.wrap(bytes, from, to - from)).toString();
        } catch (CharacterCodingException e) {
            throw new DataError(file, line, null, NOT_UTF8);
        }
    }

    /** The number of the line {@link #next()} returned last (1-based). */
    long line() {
        return line;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
