package embtune.weights;

import embtune.engine.DirectBuffers;
import embtune.ModelError;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}}}, then the raw bytes. The header is
 * checked against the file before any tensor is touched, so a corrupt file is a clear error,
 * never a JVM crash. Tensors are read through a memory map of just their own bytes.
 */
public final class Safetensors {
    /** Where one tensor lives in the file. */
    public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        public Shape djlShape() {
            return new Shape(shape);
        }
    }

    // a name given twice would silently keep the last one
    private static final ObjectMapper JSON = new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final long MAX_HEADER = 100L << 20;
    private static final Map<String, Integer> DTYPE_BYTES = Map.of(
            "F64", 8, "F32", 4, "F16", 2, "BF16", 2, "I64", 8, "I32", 4, "I16", 2, "I8", 1, "U8", 1, "BOOL", 1);

    private final Path path;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private Safetensors(Path path, long dataStart, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    public static Safetensors open(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw corrupt(path, "file is " + size + " bytes, shorter than the 8-byte header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen <= 0 || headerLen > MAX_HEADER || headerLen > size - 8)
                throw corrupt(path, "header length " + headerLen + " does not fit a file of " + size + " bytes");
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            JsonNode root;
            try {
                root = JSON.readTree(header.array());
            } catch (IOException e) {
                throw corrupt(path, "header is not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                        ? j.getOriginalMessage() : String.valueOf(e.getMessage())).lines().findFirst().orElse(""));
            }
            if (root == null || !root.isObject()) throw corrupt(path, "header is not a JSON object");
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> meta = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                var e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                tensors.put(e.getKey(), info(path, e.getKey(), e.getValue(), dataSize));
            }
            requireExactCover(path, tensors.values(), dataSize);
            return new Safetensors(path, dataStart, Collections.unmodifiableMap(tensors), meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /**
     * The format's rule for the data section: taken in offset order, each tensor starts where the
     * one before ends, the first at 0 and the last at the end of the file. Overlapping tensors
     * would alias each other's bytes, and a gap or a tail is data no tensor owns (a sign of a cut or
     * spliced file, and the room a polyglot file hides in), so each is refused, naming the tensors.
     */
    static void requireExactCover(Path path, java.util.Collection<TensorInfo> tensors, long dataSize) {
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long covered = 0;
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.begin < covered)
                throw corrupt(path, "tensors '" + previous.name + "' " + span(previous) + " and '" + t.name + "' " + span(t)
                        + " share bytes; each tensor needs bytes of its own");
            if (t.begin > covered)
                throw corrupt(path, "data bytes [" + covered + ", " + t.begin + ") belong to no tensor ("
                        + (previous == null ? "before the first tensor, '" + t.name + "'" : "between '" + previous.name + "' and '" + t.name + "'")
                        + "); tensors must follow each other with no gap");
            covered = t.end;
            previous = t;
        }
        if (covered != dataSize)
            throw corrupt(path, "data bytes [" + covered + ", " + dataSize + ") belong to no tensor ("
                    + (previous == null ? "the header lists none" : "after the last one, '" + previous.name + "'")
                    + "); the tensors must cover the data section exactly (cut or appended to?)");
    }

    private static String span(TensorInfo t) {
        return "[" + t.begin + ", " + t.end + ")";
    }

    private static TensorInfo info(Path path, String name, JsonNode t, long dataSize) {
        String dtype = t.path("dtype").asText(null);
        if (dtype == null || !DTYPE_BYTES.containsKey(dtype))
            throw corrupt(path, "tensor '" + name + "' has unknown dtype " + t.get("dtype") + "; known: " + DTYPE_BYTES.keySet());
        JsonNode shapeNode = t.get("shape"), offsets = t.get("data_offsets");
        if (shapeNode == null || !shapeNode.isArray()) throw corrupt(path, "tensor '" + name + "' has no shape");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2)
            throw corrupt(path, "tensor '" + name + "' has no [begin, end] data_offsets");
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = whole(shapeNode.get(i));
            if (shape[i] < 0) throw corrupt(path, "tensor '" + name + "' has shape " + shapeNode + "; dimensions are whole numbers >= 0");
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException overflow) {
                throw corrupt(path, "tensor '" + name + "' has shape " + shapeNode + ", too large to exist");
            }
        }
        long begin = whole(offsets.get(0)), end = whole(offsets.get(1));
        if (begin < 0 || end < begin || end > dataSize)
            throw corrupt(path, "tensor '" + name + "' offsets " + offsets + " are outside the " + dataSize + " data bytes");
        if (numel > Long.MAX_VALUE / 8)
            throw corrupt(path, "tensor '" + name + "' has shape " + shapeNode + ", too large to exist");
        long expected = numel * DTYPE_BYTES.get(dtype);
        if (end - begin != expected)
            throw corrupt(path, "tensor '" + name + "' has shape " + shapeNode + " of " + dtype + " (" + expected
                    + " bytes) but " + (end - begin) + " bytes of data");
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** A JSON whole number that fits a long, else -1 (never a wrapped-around value). */
    private static long whole(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong() ? n.asLong() : -1;
    }

    private static ModelError corrupt(Path path, String what) {
        return new ModelError(path + ": not a valid safetensors file: " + what);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) throw new IOException("unexpected end of file");
            pos += n;
        }
    }

    public Path path() { return path; }
    public Map<String, TensorInfo> tensors() { return tensors; }
    public Map<String, String> metadata() { return metadata; }

    /**
     * The tensor as float32 (the dtype embtune computes in). fp16 is converted by the engine;
     * bf16 is widened in Java (bf16 bits are the top half of a float32), because DJL's JNI has no
     * bfloat16 type.
     */
    public NDArray load(String name, NDManager manager) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new ModelError(path + ": no tensor named '" + name + "'");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long bytes = t.end - t.begin;
            if (bytes > Integer.MAX_VALUE / 2 && t.shape.length > 0) return loadInRows(ch, t, manager);
            ByteBuffer raw = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin, bytes).order(ByteOrder.LITTLE_ENDIAN);
            return toFloat32(raw, t.dtype, t.djlShape(), manager, t.name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tensor " + name + " from " + path, e);
        }
    }

    /** Tensors over ~1 GiB are read as blocks of rows and joined: a ByteBuffer holds at most 2 GiB. */
    private NDArray loadInRows(FileChannel ch, TensorInfo t, NDManager manager) throws IOException {
        long rowBytes = (t.end - t.begin) / t.shape[0];
        long rowsPerBlock = Math.max(1, (Integer.MAX_VALUE / 4) / rowBytes);
        ai.djl.ndarray.NDList parts = new ai.djl.ndarray.NDList();
        for (long r = 0; r < t.shape[0]; r += rowsPerBlock) {
            long n = Math.min(rowsPerBlock, t.shape[0] - r);
            long[] shape = t.shape.clone();
            shape[0] = n;
            ByteBuffer raw = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin + r * rowBytes, n * rowBytes)
                    .order(ByteOrder.LITTLE_ENDIAN);
            parts.add(toFloat32(raw, t.dtype, new Shape(shape), manager, t.name));
        }
        NDArray joined = ai.djl.ndarray.NDArrays.concat(parts, 0);
        parts.close();
        return joined;
    }

    /**
     * Copies the raw bytes into a float32 tensor the engine owns, then frees {@code raw} (a file
     * mapping) at once. DJL wraps a direct ByteBuffer without copying, so the copy matters: a
     * trainable weight must not live in a read-only mapping.
     */
    static NDArray toFloat32(ByteBuffer raw, String dtype, Shape shape, NDManager manager, String name) {
        try {
            switch (dtype) {
                case "F32": {
                    try (NDArray view = manager.create(raw, shape, DataType.FLOAT32)) {
                        return view.duplicate(); // toType(FLOAT32, true) does not copy when the dtype is unchanged
                    }
                }
                case "BF16": {
                    // bf16 is the top half of a float32: widen in Java, DJL's JNI has no bfloat16
                    ByteBuffer wide = ByteBuffer.allocateDirect(raw.remaining() * 2).order(ByteOrder.nativeOrder());
                    while (raw.hasRemaining()) wide.putInt((raw.getShort() & 0xFFFF) << 16);
                    wide.flip();
                    try (NDArray view = manager.create(wide, shape, DataType.FLOAT32)) {
                        return view.duplicate();
                    } finally {
                        DirectBuffers.free(wide);
                    }
                }
                case "F16":
                case "F64": {
                    try (NDArray a = manager.create(raw, shape, dtype.equals("F16") ? DataType.FLOAT16 : DataType.FLOAT64)) {
                        return a.toType(DataType.FLOAT32, false);
                    }
                }
                default:
                    throw new ModelError("tensor '" + name + "' is " + dtype + ", not a floating-point weight");
            }
        } finally {
            DirectBuffers.free(raw);
        }
    }
}
