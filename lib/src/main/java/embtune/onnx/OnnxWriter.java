package embtune.onnx;

import com.google.protobuf.CodedOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * An ONNX graph built node by node and written in the protobuf wire format with protobuf-java's
 * {@link CodedOutputStream}, the mirror of {@link OnnxGraph} (no generated ONNX classes). Messages
 * are sized before they are written, so the model goes straight into one array of its exact size,
 * and a weight's values are asked for only as it is written: the writer holds one weight at a time
 * beside that array. Field numbers are onnx.proto's:
 * <pre>
 * ModelProto.ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 (domain = 1, version = 2)
 * GraphProto.node = 1, name = 2, initializer = 5, input = 11, output = 12
 * NodeProto.input = 1, output = 2, name = 3, op_type = 4, attribute = 5
 * AttributeProto.name = 1, f = 2, i = 3, ints = 8, type = 20 (FLOAT 1, INT 2, INTS 7)
 * TensorProto.dims = 1, data_type = 2 (FLOAT 1, INT64 7), name = 8, raw_data = 9 (little-endian)
 * ValueInfoProto.name = 1, type = 2; TypeProto.tensor_type = 1 (elem_type = 1, shape = 2);
 * TensorShapeProto.dim = 1 (dim_value = 1, dim_param = 2)
 * </pre>
 */
public final class OnnxWriter {
    static final int FLOAT = 1, INT64 = 7;
    /** Opset 17: LayerNormalization is a standard op from here on; every ONNX Runtime since 1.13 runs it. */
    static final int OPSET = 17, IR_VERSION = 8;

    private final Message graph = new Message();
    private final List<Message> nodes = new ArrayList<>(), initializers = new ArrayList<>(),
            inputs = new ArrayList<>(), outputs = new ArrayList<>();
    private int names;

    /** A float initializer (a weight); {@code values} is called once, when the model is written. */
    public String weight(String name, long[] dims, Supplier<float[]> values) {
        long n = 1;
        for (long d : dims) n *= d;
        Message t = new Message();
        for (long d : dims) t.int64(1, d);
        t.int64(2, FLOAT).string(8, name).floats(9, n, values);
        initializers.add(t);
        return name;
    }

    /** A float constant of one value and no dimensions (a scalar). */
    public String scalar(float value) {
        return weight("const_" + names++, new long[0], () -> new float[] {value});
    }

    /** An int64 constant of one value and no dimensions (Range's bounds, Gather's index). */
    public String scalar(long value) {
        String name = "const_" + names++;
        initializers.add(new Message().int64(2, INT64).string(8, name).longs(9, new long[] {value}));
        return name;
    }

    /** An int64 constant (shapes, axes, indices). */
    public String longs(long... values) {
        String name = "const_" + names++;
        initializers.add(new Message().int64(1, values.length).int64(2, INT64).string(8, name).longs(9, values));
        return name;
    }

    /** A graph input of this element type; a dimension given as a String is named (batch, tokens), a Long is fixed. */
    public String input(String name, int type, Object... dims) {
        inputs.add(valueInfo(name, type, dims));
        return name;
    }

    public void output(String name, int type, Object... dims) {
        outputs.add(valueInfo(name, type, dims));
    }

    /** A node with one output, named here; attributes as (name, value) pairs: Integer/Long, Float, or long[]. */
    public String op(String type, List<String> in, Object... attributes) {
        String out = type.toLowerCase() + "_" + names++;
        node(type, in, List.of(out), attributes);
        return out;
    }

    public String op(String type, String... in) {
        return op(type, List.of(in));
    }

    /** A node whose output takes a given name (a graph output). */
    public void node(String type, List<String> in, List<String> out, Object... attributes) {
        Message n = new Message();
        for (String i : in) n.string(1, i);
        for (String x : out) n.string(2, x);
        n.string(3, out.get(0)).string(4, type);
        for (int k = 0; k < attributes.length; k += 2) n.message(5, attribute((String) attributes[k], attributes[k + 1]));
        nodes.add(n);
    }

    /** The whole model, opset 17 of the default domain, in one array of its exact size. */
    public byte[] toBytes(String graphName) {
        for (Message n : nodes) graph.message(1, n);
        graph.string(2, graphName);
        for (Message t : initializers) graph.message(5, t);
        for (Message i : inputs) graph.message(11, i);
        for (Message x : outputs) graph.message(12, x);
        Message model = new Message().int64(1, IR_VERSION).string(2, "embtune").message(7, graph)
                .message(8, new Message().string(1, "").int64(2, OPSET));
        long size = model.size();
        if (size > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("the ONNX model would take " + size + " bytes; one protobuf holds at most 2 GB");
        byte[] out = new byte[(int) size];
        try {
            CodedOutputStream o = CodedOutputStream.newInstance(out);
            model.writeTo(o);
            o.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an array of the exact size does not fail
        }
        return out;
    }

    private static Message attribute(String name, Object value) {
        Message a = new Message().string(1, name);
        if (value instanceof Float f) a.fixed32(2, Float.floatToRawIntBits(f)).int64(20, 1);
        else if (value instanceof Integer || value instanceof Long) a.int64(3, ((Number) value).longValue()).int64(20, 2);
        else if (value instanceof long[] ls) {
            for (long l : ls) a.int64(8, l);
            a.int64(20, 7);
        } else throw new IllegalArgumentException("attribute " + name + ": " + value.getClass());
        return a;
    }

    private static Message valueInfo(String name, int type, Object... dims) {
        Message shape = new Message();
        for (Object d : dims) shape.message(1, d instanceof String s ? new Message().string(2, s) : new Message().int64(1, ((Number) d).longValue()));
        Message tensor = new Message().int64(1, type).message(2, shape);
        return new Message().string(1, name).message(2, new Message().message(1, tensor));
    }

    /** A protobuf message as its fields, each knowing its size: a parent's length prefix is known without writing the child first. */
    private static final class Message {
        private interface Field {
            long size();

            void write(CodedOutputStream o) throws IOException;
        }

        private final List<Field> fields = new ArrayList<>();
        private long size = -1;

        Message int64(int number, long v) {
            return add(CodedOutputStream.computeInt64Size(number, v), o -> o.writeInt64(number, v));
        }

        Message fixed32(int number, int bits) {
            return add(CodedOutputStream.computeFixed32Size(number, bits), o -> o.writeFixed32(number, bits));
        }

        Message string(int number, String s) {
            return add(CodedOutputStream.computeStringSize(number, s), o -> o.writeString(number, s));
        }

        Message message(int number, Message m) {
            fields.add(new Field() {
                public long size() {
                    return CodedOutputStream.computeTagSize(number) + CodedOutputStream.computeUInt64SizeNoTag(m.size()) + m.size();
                }

                public void write(CodedOutputStream o) throws IOException {
                    o.writeTag(number, 2);
                    o.writeUInt64NoTag(m.size());
                    m.writeTo(o);
                }
            });
            return this;
        }

        /** Raw little-endian float32 bytes of {@code count} values, asked for when written. */
        Message floats(int number, long count, Supplier<float[]> values) {
            long bytes = 4 * count;
            return add(CodedOutputStream.computeTagSize(number) + CodedOutputStream.computeUInt64SizeNoTag(bytes) + bytes, o -> {
                float[] v = values.get();
                if (v.length != count) throw new IllegalStateException("a weight gave " + v.length + " values for " + count);
                o.writeTag(number, 2);
                o.writeUInt64NoTag(bytes);
                for (float f : v) o.writeFixed32NoTag(Float.floatToRawIntBits(f));
            });
        }

        Message longs(int number, long[] values) {
            long bytes = 8L * values.length;
            return add(CodedOutputStream.computeTagSize(number) + CodedOutputStream.computeUInt64SizeNoTag(bytes) + bytes, o -> {
                o.writeTag(number, 2);
                o.writeUInt64NoTag(bytes);
                for (long l : values) o.writeFixed64NoTag(l);
            });
        }

        private Message add(long fieldSize, Writer w) {
            fields.add(new Field() {
                public long size() {
                    return fieldSize;
                }

                public void write(CodedOutputStream o) throws IOException {
                    w.write(o);
                }
            });
            return this;
        }

        private interface Writer {
            void write(CodedOutputStream o) throws IOException;
        }

        long size() {
            if (size < 0) {
                long s = 0;
                for (Field f : fields) s += f.size();
                size = s;
            }
            return size;
        }

        void writeTo(CodedOutputStream o) throws IOException {
            for (Field f : fields) f.write(o);
        }
    }
}
