package embtune.data;

import java.util.regex.Pattern;

/** The checks every reader applies to a text or a label, so every format fails the same way. */
final class Fields {
    private static final Pattern MEDIA_TAG = Pattern.compile("<(video|audio)>");

    private Fields() {}

    /** A text of a format without an images field (CSV, TSV, named columns): no {@code <image>} tags. */
    static String text(String file, long line, String field, String value) {
        String v = textWithImageTags(file, line, field, value);
        if (v.contains(embtune.vision.ImageText.TAG))
            throw new DataError(file, line, field, "an <image> tag needs a JSONL row (query/response or messages) with an 'images' field");
        return v;
    }

    /** A text of an ms-swift row, where {@code <image>} tags refer to the row's images. */
    static String textWithImageTags(String file, long line, String field, String value) {
        if (value == null) throw new DataError(file, line, field, "missing");
        if (value.isBlank()) throw new DataError(file, line, field, "empty text");
        if (MEDIA_TAG.matcher(value).find())
            throw new DataError(file, line, field, "<video> and <audio> tags are not supported (<image> is, with a GME model)");
        if (embtune.vision.ImageText.hasImages(value)) // embtune's own image marker: never taken from data, so no text can name a file to read
            throw new DataError(file, line, field, "a text may not contain '<image:...>'; use an <image> tag and the 'images' field");
        return value;
    }


    /** Labels are similarity scores or classes: finite and within [0,1] after scaling. */
    static float label(String file, long line, String field, double value) {
        if (!Double.isFinite(value) || value < 0 || value > 1)
            throw new DataError(file, line, field, "label " + value + " is out of range [0, 1]");
        return (float) value;
    }

    static float label(String file, long line, String field, String raw, double scale) {
        double v;
        try {
            v = Double.parseDouble(raw.trim());
        } catch (NumberFormatException e) {
            throw new DataError(file, line, field, "label '" + raw + "' is not a number");
        }
        if (Double.isFinite(v) && (v < 0 || v > scale))
            throw new DataError(file, line, field, "label " + raw + " is out of range [0, " + fmt(scale) + "]");
        return label(file, line, field, v / scale);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    /** A UTF-8 reader that skips a byte-order mark, as Python's utf-8-sig does. */
    static java.io.BufferedReader utf8(java.nio.file.Path path) throws java.io.IOException {
        var r = java.nio.file.Files.newBufferedReader(path, java.nio.charset.StandardCharsets.UTF_8);
        try {
            r.mark(1);
            if (r.read() != '\uFEFF') r.reset();
        } catch (java.nio.charset.CharacterCodingException e) {
            r.close();
            r = java.nio.file.Files.newBufferedReader(path, java.nio.charset.StandardCharsets.UTF_8); // the first line reports it
        }
        return r;
    }
}
