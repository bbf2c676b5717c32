package embtune.spark;

import embtune.model.Embedder;
import embtune.vision.ImageText;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The task body: rows in, the same rows (less the source-file column) with their vector out. Rows
 * are taken in windows; {@link Embedder#embed} sorts each window by length into batches and puts the
 * vectors back in row order, so the output keeps the partition's order.
 */
final class EmbedPartition implements MapPartitionsFunction<Row, Row> {
    private final ModelSource source;
    private final int text, image, file, window;

    EmbedPartition(ModelSource source, int text, int image, int file, int window) {
        this.source = source;
        this.text = text;
        this.image = image;
        this.file = file;
        this.window = window;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        if (!rows.hasNext()) return Collections.emptyIterator(); // an empty partition loads no model
        Embedder model = ExecutorModel.forTask(source);
        return new Iterator<>() {
            private Iterator<Row> done = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!done.hasNext() && rows.hasNext()) done = embedWindow(model, rows).iterator();
                return done.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new java.util.NoSuchElementException();
                return done.next();
            }
        };
    }

    private List<Row> embedWindow(Embedder model, Iterator<Row> rows) {
        List<Row> in = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        while (in.size() < window && rows.hasNext()) {
            Row r = rows.next();
            in.add(r);
            texts.add(input(r));
        }
        float[][] vectors = source.query() ? model.embedQueries(texts) : model.embed(texts);
        List<Row> out = new ArrayList<>(in.size());
        for (int i = 0; i < in.size(); i++) {
            Row r = in.get(i);
            Object[] values = new Object[r.length()];
            for (int c = 0, k = 0; c < r.length(); c++) if (c != file) values[k++] = r.get(c);
            values[values.length - 1] = vectors[i];
            out.add(RowFactory.create(values));
        }
        return out;
    }

    /** What the model reads: the text, after the image (a path relative to the row's file) if the row has one. */
    private String input(Row r) {
        String t = r.isNullAt(text) ? "" : r.getString(text);
        if (image < 0 || r.isNullAt(image)) return t;
        Path p = Path.of(r.getString(image));
        if (!p.isAbsolute()) p = Path.of(URI.create(r.getString(file))).getParent().resolve(p).normalize();
        return ImageText.image(p) + t;
    }
}
