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

    /**
     * The longest line read, in bytes: one row of text pairs is kilobytes, so a longer line is a
     * file that is not JSON lines (or a mistake), and within it Jackson's own limit of 20 million
     * characters for one string is never what stops the reader.
     */
    public static final int MAX_LINE_BYTES = 16 << 20;

    /** A line longer than {@link #MAX_LINE_BYTES}: its number, its length and the limit. */
    public static final class TooLong extends DataError {
        TooLong(String file, long line, long length) {
            super(file, line, null, String.format(java.util.Locale.ROOT, "the line is %,d bytes long, over the limit of %,d bytes (%d MiB) for one row"
                    + " (is this JSON lines, one row per line?)", length, MAX_LINE_BYTES, MAX_LINE_BYTES >> 20));
        }
    }

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
        SourceFile.requireRegular(path.toString(), path);
        try (Utf8Lines in = new Utf8Lines(path)) {
            for (String l; (l = in.next()) != null; ) out.add(l);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DataError(path, 0, null, "no such file");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + path, e);
        }
        return out;
    }

    /**
     * The next line without its ending, or null at the end of the file. A line over
     * {@link #MAX_LINE_BYTES} is read to its end without being kept and is a {@link TooLong}, so
     * the reader can skip it ({@code --skip_invalid}) and go on with the next line.
     */
    String next() throws IOException {
        buf.reset();
        int b;
        long length = 0;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (length++ < MAX_LINE_BYTES) buf.write(b);
        }
        if (b < 0 && length == 0) return null;
        line++;
        if (length > MAX_LINE_BYTES) throw new TooLong(file, line, length);
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
