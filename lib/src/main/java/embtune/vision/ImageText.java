package embtune.vision;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A text with images in it, carried through data sets, batches and losses as one string: each
 * image is written {@code <image:PATH>} where ms-swift's data had an {@code <image>} tag, PATH
 * absolute. A string without such a marker is plain text. Only models with a vision tower
 * (GME / Qwen2-VL) embed strings that hold images.
 * <pre>
 * ImageText.of("&lt;image&gt;a dog", List.of(Path.of("dog.jpg")))   // "&lt;image:/data/dog.jpg&gt;a dog"
 * ImageText.parse(s).parts()                                  // [image /data/dog.jpg, text "a dog"]
 * </pre>
 */
public record ImageText(List<Part> parts) {
    public static final String TAG = "<image>";
    private static final Pattern MARKER = Pattern.compile("<image:([^<>]+)>");

    /** Text, or an image (then text is null). */
    public record Part(String text, Path image) {
        @Override
        public String toString() {
            return image != null ? "image " + image : "text \"" + text + "\"";
        }
    }

    /** The string for an image alone. */
    public static String image(Path file) {
        return "<image:" + file.toAbsolutePath().normalize() + ">";
    }

    /** Replaces the {@code <image>} tags of text, in order, with markers for the given files (as many as tags). */
    public static String of(String text, List<Path> images) {
        StringBuilder out = new StringBuilder();
        int at = 0, used = 0;
        for (int i = text.indexOf(TAG); i >= 0; i = text.indexOf(TAG, at)) {
            if (used == images.size()) throw new IllegalArgumentException("more <image> tags than images");
            out.append(text, at, i).append(image(images.get(used++)));
            at = i + TAG.length();
        }
        if (used != images.size()) throw new IllegalArgumentException("fewer <image> tags than images");
        return out.append(text.substring(at)).toString();
    }

    /** How many {@code <image>} tags a text has. */
    public static int tags(String text) {
        int n = 0;
        for (int i = text.indexOf(TAG); i >= 0; i = text.indexOf(TAG, i + TAG.length())) n++;
        return n;
    }

    public static boolean hasImages(String s) {
        return s.contains("<image:") && MARKER.matcher(s).find();
    }

    public static ImageText parse(String s) {
        List<Part> parts = new ArrayList<>();
        Matcher m = MARKER.matcher(s);
        int at = 0;
        while (m.find()) {
            if (m.start() > at) parts.add(new Part(s.substring(at, m.start()), null));
            parts.add(new Part(null, Path.of(m.group(1))));
            at = m.end();
        }
        if (at < s.length()) parts.add(new Part(s.substring(at), null));
        return new ImageText(List.copyOf(parts));
    }

    public List<Path> images() {
        return parts.stream().filter(p -> p.image() != null).map(Part::image).toList();
    }

    /** The string with each image shown as its file name, for tables and logs. */
    public static String display(String s) {
        return hasImages(s) ? MARKER.matcher(s).replaceAll(r -> Matcher.quoteReplacement("[" + Path.of(r.group(1)).getFileName() + "]")) : s;
    }
}
