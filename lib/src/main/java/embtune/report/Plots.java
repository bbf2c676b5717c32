package embtune.report;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tech.tablesaw.api.Table;

/**
 * Charts of a run, drawn with XChart: pure Java, rendered to PNG in memory, no browser and no
 * CDN — so they work in a terminal session, an offline report, and inline in a notebook.
 */
public final class Plots {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {}

    /** Training loss per logged step, with eval_loss when the run evaluated. */
    public static XYChart loss(History h) {
        XYChart c = chart("loss", "loss");
        double[][] raw = History.series(h.training(), "loss");
        if (raw[0].length >= 4) {
            XYSeries points = c.addSeries("train loss", raw[0], raw[1]);
            points.setMarker(SeriesMarkers.CIRCLE);
            points.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.NONE);
            add(c, "train loss (smoothed)", smoothed(raw), false);
        } else {
            add(c, "train loss", raw, true);
        }
        add(c, "eval loss", History.series(h.evaluation(), "eval_loss"), true);
        return c;
    }

    /**
     * A debiased exponential moving average (TensorBoard's smoothing) over the logged points, so a
     * trend shows through step-to-step noise; the weight adapts to the number of points.
     */
    static double[][] smoothed(double[][] xy) {
        int n = xy[1].length;
        double beta = Math.min(0.9, 1 - 4.0 / n), avg = 0, weight = 0;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            avg = beta * avg + (1 - beta) * xy[1][i];
            weight = beta * weight + (1 - beta);
            y[i] = avg / weight;
        }
        return new double[][] {xy[0], y};
    }

    public static XYChart learningRate(History h) {
        XYChart c = chart("learning rate", "lr");
        add(c, "learning rate", History.series(h.training(), "learning_rate"), false);
        return c;
    }

    /** Every eval metric except the loss, one line each. */
    public static XYChart evalMetrics(History h) {
        XYChart c = chart("evaluation metrics", "value");
        Table t = h.evaluation();
        for (String col : t.columnNames())
            if (col.startsWith("eval_") && !col.equals("eval_loss") && !col.endsWith("_threshold")) add(c, col.substring(5), History.series(t, col), true);
        return c;
    }

    /** Predicted cosine against the gold score of each evaluation pair. */
    public static XYChart similarityScatter(double[] gold, double[] predicted) {
        XYChart c = new XYChartBuilder().width(520).height(480).title("predicted vs gold similarity")
                .xAxisTitle("gold score").yAxisTitle("cosine similarity").build();
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(4);
        c.getStyler().setLegendVisible(false);
        c.addSeries("pairs", gold, predicted);
        return c;
    }

    private static XYChart chart(String title, String y) {
        XYChart c = new XYChartBuilder().width(720).height(400).title(title).xAxisTitle("step").yAxisTitle(y).build();
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        return c;
    }

    private static void add(XYChart c, String name, double[][] xy, boolean markers) {
        if (xy[0].length == 0) return;
        XYSeries s = c.addSeries(name, xy[0], xy[1]);
        s.setMarker(markers || xy[0].length == 1 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }

    static {
        // ImageIO's default disk cache registers a shutdown hook per stream, which fails once the
        // JVM is shutting down: the report of a run stopped by Ctrl-C would never be written
        javax.imageio.ImageIO.setUseCache(false);
    }

    public static BufferedImage image(XYChart c) {
        return BitmapEncoder.getBufferedImage(c);
    }

    public static byte[] png(XYChart c) {
        try {
            return BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
