package embtune.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns an exported BERT graph's initializers into checkpoint-named weights. Named initializers
 * ({@code encoder.layer.0.attention.self.query.bias}) are taken as they are. The exporter leaves
 * Linear weights anonymous ({@code onnx::MatMul_787}, stored [in, out]); each is named by the
 * graph edge MatMul -> Add(named bias): {@code ...query.bias} makes it {@code ...query.weight},
 * transposed to Linear's [out, in]. A weight with no such edge, or with two, is refused by name.
 */
public final class OnnxWeights {
    private OnnxWeights() {}

    public static Map<String, OnnxGraph.Tensor> toCheckpointNames(OnnxGraph g, String where) {
        Map<String, OnnxGraph.Tensor> out = new LinkedHashMap<>();
        g.initializers.forEach((name, t) -> {
            if (!anonymous(name)) out.put(name, t);
        });
        Map<String, List<OnnxGraph.Node>> consumers = new HashMap<>();
        for (OnnxGraph.Node n : g.nodes)
            for (String in : n.inputs()) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        for (OnnxGraph.Node mm : g.nodes) {
            if (!mm.op().equals("MatMul")) continue;
            for (String in : mm.inputs()) {
                OnnxGraph.Tensor w = g.initializers.get(in);
                if (w == null || !anonymous(in)) continue;
                if (w.dims().length != 2) throw new IllegalArgumentException(where + ": " + in + " feeds a MatMul but is not a matrix");
                List<String> biases = new ArrayList<>();
                for (OnnxGraph.Node add : consumers.getOrDefault(mm.outputs().get(0), List.of())) {
                    if (!add.op().equals("Add")) continue;
                    for (String b : add.inputs())
                        if (b.endsWith(".bias") && g.initializers.containsKey(b)) biases.add(b);
                }
                if (biases.size() != 1)
                    throw new IllegalArgumentException(where + ": cannot tell which layer " + in + " belongs to: its MatMul feeds "
                            + biases.size() + " Add nodes with a named bias " + biases);
                String name = biases.get(0).substring(0, biases.get(0).length() - ".bias".length()) + ".weight";
                if (out.containsKey(name))
                    throw new IllegalArgumentException(where + ": both " + in + " and another tensor map to " + name);
                out.put(name, transpose(name, w));
            }
        }
        return out;
    }

    static boolean anonymous(String name) {
        return name.startsWith("onnx::") || !name.contains(".");
    }

    static OnnxGraph.Tensor transpose(String name, OnnxGraph.Tensor t) {
        int rows = (int) t.dims()[0], cols = (int) t.dims()[1];
        float[] v = new float[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) v[j * rows + i] = t.values()[i * cols + j];
        return new OnnxGraph.Tensor(name, new long[] {cols, rows}, v);
    }
}
