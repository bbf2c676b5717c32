package embtune.data;

import java.util.Arrays;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.numbers.NumberColumnFormatter;

/** The summary table of a data set: one row per field, length percentiles in characters. */
final class DatasetSummary {
    private DatasetSummary() {}

    static Table of(Dataset d) {
        int n = d.size();
        double[] anchor = new double[n], positive = new double[n], perRow = new double[n];
        double[] labels = new double[n];
        double[] images = new double[n];
        int labelled = 0, negTotal = 0, withImages = 0;
        for (int i = 0; i < n; i++) negTotal += d.negativeCountAt(i);
        double[] negatives = new double[negTotal];
        int k = 0;
        for (int i = 0; i < n; i++) {
            Record r = d.get(i);
            anchor[i] = chars(r.anchor());
            positive[i] = chars(r.positive());
            perRow[i] = r.negatives().size();
            for (String neg : r.negatives()) negatives[k++] = chars(neg);
            images[i] = images(r.anchor()) + images(r.positive()) + r.negatives().stream().mapToInt(DatasetSummary::images).sum();
            if (images[i] > 0) withImages++;
            if (r.label() != null) labels[labelled++] = r.label();
        }
        DatasetStats s = d.stats();
        Table t = Table.create(d.name() + " - " + String.format("%,d", n) + " rows, " + s.kind()
                        + " -> " + d.recommendedLoss().loss().id(),
                StringColumn.create("field"), IntColumn.create("count"), DoubleColumn.create("min"),
                DoubleColumn.create("p50"), DoubleColumn.create("p90"), DoubleColumn.create("p99"),
                DoubleColumn.create("max"), DoubleColumn.create("mean"));
        add(t, "anchor chars", anchor);
        add(t, "positive chars", positive);
        if (negTotal > 0) {
            add(t, "negative chars", negatives);
            add(t, "negatives/row", perRow);
        }
        if (labelled > 0) add(t, "label", Arrays.copyOf(labels, labelled));
        if (withImages > 0) add(t, "images/row", images);
        // two decimals are enough to read lengths and labels; the values keep full precision
        for (var c : t.columns()) if (c instanceof DoubleColumn dc) dc.setPrintFormatter(NumberColumnFormatter.fixedWithGrouping(2));
        return t;
    }

    /** Characters of text, images left out (they are counted per row). */
    private static int chars(String s) {
        return embtune.vision.ImageText.hasImages(s)
                ? embtune.vision.ImageText.parse(s).parts().stream().filter(p -> p.text() != null).mapToInt(p -> p.text().length()).sum()
                : s.length();
    }

    private static int images(String s) {
        return embtune.vision.ImageText.hasImages(s) ? embtune.vision.ImageText.parse(s).images().size() : 0;
    }

    private static void add(Table t, String field, double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        t.stringColumn("field").append(field);
        t.intColumn("count").append(v.length);
        t.doubleColumn("min").append(v.length == 0 ? Double.NaN : v[0]);
        t.doubleColumn("p50").append(percentile(v, 0.50));
        t.doubleColumn("p90").append(percentile(v, 0.90));
        t.doubleColumn("p99").append(percentile(v, 0.99));
        t.doubleColumn("max").append(v.length == 0 ? Double.NaN : v[v.length - 1]);
        t.doubleColumn("mean").append(Arrays.stream(v).average().orElse(Double.NaN));
    }

    /** Linear interpolation between order statistics (numpy's default). */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
