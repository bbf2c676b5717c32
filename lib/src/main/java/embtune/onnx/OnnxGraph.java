package embtune.onnx;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model embtune needs, read straight from the protobuf wire format with
 * protobuf-java's {@link CodedInputStream} (no generated ONNX classes): the graph's nodes
 * (op type, inputs, outputs) and its float initializers (name, dims, values).
 * <pre>
 * ModelProto.graph = 7;  GraphProto.node = 1, initializer = 5, input = 11, output = 12
 * NodeProto.input = 1, output = 2, name = 3, op_type = 4
 * TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9, data_location = 14
 * </pre>
 */
public final class OnnxGraph {
    public record Node(String op, List<String> inputs, List<String> outputs) {}

    public record Tensor(String name, long[] dims, float[] values) {}

    private static final int FLOAT = 1;

    public final List<Node> nodes = new ArrayList<>();
    public final Map<String, Tensor> initializers = new LinkedHashMap<>();
    public final List<String> outputs = new ArrayList<>();

    public static OnnxGraph parse(byte[] model, String where) {
        try {
            OnnxGraph g = new OnnxGraph();
            CodedInputStream in = CodedInputStream.newInstance(model);
            in.setSizeLimit(Integer.MAX_VALUE);
            boolean found = false;
            for (int tag; (tag = in.readTag()) != 0; ) {
                if (tag >>> 3 == 7 && (tag & 7) == 2) {
                    g.readGraph(in.readBytes().newCodedInput(), where);
                    found = true;
                } else in.skipField(tag);
            }
            if (!found) throw new IllegalArgumentException(where + ": no graph in this ONNX model");
            return g;
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": not a valid ONNX protobuf: " + e.getMessage(), e);
        }
    }

    private void readGraph(CodedInputStream in, String where) throws IOException {
        in.setSizeLimit(Integer.MAX_VALUE);
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (tag >>> 3) {
                case 1 -> nodes.add(readNode(in.readBytes().newCodedInput()));
                case 5 -> {
                    Tensor t = readTensor(in.readBytes().newCodedInput(), where);
                    if (t != null) initializers.put(t.name(), t);
                }
                case 12 -> outputs.add(readName(in.readBytes().newCodedInput()));
                default -> in.skipField(tag);
            }
        }
    }

    private static Node readNode(CodedInputStream in) throws IOException {
        List<String> ins = new ArrayList<>(), outs = new ArrayList<>();
        String op = "";
        for (int tag; (tag = in.readTag()) != 0; ) {
            switch (tag >>> 3) {
                case 1 -> ins.add(in.readString());
                case 2 -> outs.add(in.readString());
                case 4 -> op = in.readString();
                default -> in.skipField(tag);
            }
        }
        return new Node(op, ins, outs);
    }

    private static String readName(CodedInputStream in) throws IOException {
        for (int tag; (tag = in.readTag()) != 0; ) {
            if (tag >>> 3 == 1) return in.readString();
            in.skipField(tag);
        }
        return "";
    }

    /** A float tensor, or null for other types (int64 position ids and the like). */
    private static Tensor readTensor(CodedInputStream in, String where) throws IOException {
        in.setSizeLimit(Integer.MAX_VALUE);
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        ByteBuffer raw = null;
        List<Float> floats = new ArrayList<>();
        boolean external = false;
        for (int tag; (tag = in.readTag()) != 0; ) {
            int field = tag >>> 3, wire = tag & 7;
            switch (field) {
                case 1 -> {
                    if (wire == 2) { // packed
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) dims.add(in.readInt64());
                        in.popLimit(limit);
                    } else dims.add(in.readInt64());
                }
                case 2 -> type = in.readInt32();
                case 4 -> {
                    if (wire == 2) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (in.getBytesUntilLimit() > 0) floats.add(in.readFloat());
                        in.popLimit(limit);
                    } else floats.add(in.readFloat());
                }
                case 8 -> name = in.readString();
                case 9 -> raw = in.readBytes().asReadOnlyByteBuffer();
                case 14 -> external = in.readInt32() == 1;
                default -> in.skipField(tag);
            }
        }
        if (type != FLOAT) return null;
        if (external) throw new IllegalArgumentException(where + ": tensor '" + name + "' keeps its data in an external file; not supported");
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        long n = 1;
        for (long x : d) n *= x;
        float[] values = new float[(int) n];
        if (raw != null) {
            if (raw.remaining() != n * 4)
                throw new IllegalArgumentException(where + ": tensor '" + name + "' has " + raw.remaining() + " bytes for " + n + " floats");
            raw.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        } else {
            if (floats.size() != n) throw new IllegalArgumentException(where + ": tensor '" + name + "' has " + floats.size() + " values for " + n);
            for (int i = 0; i < n; i++) values[i] = floats.get(i);
        }
        return new Tensor(name, d, values);
    }
}
