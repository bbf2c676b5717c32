package embtune.data;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Append-only store of many short strings as UTF-8 bytes in fixed-size chunks. A million
 * records held as {@code String} objects cost ~50 bytes of headers per text; here a text costs
 * its bytes plus 12, which keeps a loaded data set near its file size. Chunks (not one doubling
 * array) so growth never needs a second full copy.
 */
final class TextPool {
    private static final int CHUNK = 1 << 22; // 4 MiB

    private final List<byte[]> chunks = new ArrayList<>();
    private byte[] current;
    private int pos;
    private long[] refs = new long[1024]; // chunk index << 32 | offset
    private int[] lengths = new int[1024];
    private int size;

    int add(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (current == null || pos + bytes.length > current.length) {
            current = new byte[Math.max(CHUNK, bytes.length)];
            chunks.add(current);
            pos = 0;
        }
        System.arraycopy(bytes, 0, current, pos, bytes.length);
        if (size == refs.length) {
            refs = Arrays.copyOf(refs, size * 2);
            lengths = Arrays.copyOf(lengths, size * 2);
        }
        refs[size] = ((long) (chunks.size() - 1) << 32) | pos;
        lengths[size] = bytes.length;
        pos += bytes.length;
        return size++;
    }

    String get(int index) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException(index);
        long ref = refs[index];
        return new String(chunks.get((int) (ref >>> 32)), (int) ref, lengths[index], StandardCharsets.UTF_8);
    }

    int size() {
        return size;
    }

    /** Bytes held, for the memory benchmark. */
    long bytes() {
        return (long) chunks.size() * CHUNK + refs.length * 12L;
    }
}
