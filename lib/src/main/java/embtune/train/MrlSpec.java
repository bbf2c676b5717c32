package embtune.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/** {@code --mrl_dims}: "32,64,128" (weights 1) or ms-swift's JSON {"32": 1.0, "64": 0.5}. */
record MrlSpec(int[] dims, double[] weights) {
    static MrlSpec parse(String spec) {
        if (spec == null || spec.isBlank()) return new MrlSpec(null, null);
        String s = spec.trim();
        try {
            if (s.startsWith("{")) {
                JsonNode n = TrainConfig.JSON.readTree(s);
                int[] d = new int[n.size()];
                double[] w = new double[n.size()];
                int i = 0;
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); i++) {
                    var e = it.next();
                    d[i] = Integer.parseInt(e.getKey().trim());
                    w[i] = e.getValue().asDouble();
                }
                return new MrlSpec(d, w);
            }
            String[] parts = s.split(",");
            int[] d = new int[parts.length];
            for (int i = 0; i < parts.length; i++) d[i] = Integer.parseInt(parts[i].trim());
            return new MrlSpec(d, null);
        } catch (Exception e) {
            throw new IllegalArgumentException("--mrl_dims '" + spec + "': give 32,64,128 or {\"32\": 1.0, \"64\": 0.5}");
        }
    }
}
