package embtune.data;

import embtune.vision.ImageText;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One JSON object in either ms-swift embedding format, turned into a {@link Record}:
 *
 * <pre>
 * v3.3-3.8: {"query": a, "response": p, "rejected_response": [n1, n2], "label": 0.8}
 * v3.9+:    {"messages": [{"role":"user","content": a}],
 *            "positive_messages": [[{"role":"user","content": p}]],
 *            "negative_messages": [[{"role":"user","content": n1}], ...], "label": 0.8}
 * </pre>
 *
 * A system message is joined to the user content as "{system} {content}", as ms-swift's
 * templates do. Multimodal rows carry {@code <image>} tags and an {@code images} field (a path or a
 * list, relative to the data file or absolute): the tags take the images in order — query's
 * first, then response's, then each rejected response's (messages: messages, positive_messages,
 * negative_messages) — and become {@link ImageText} markers; videos and audio are refused.
 */
final class SwiftRow {
    enum Format {
        QUERY_RESPONSE("query/response"), MESSAGES("messages"), COLUMNS("named columns");

        final String name;

        Format(String name) {
            this.name = name;
        }
    }

    private static final List<String> UNSUPPORTED_MEDIA = List.of("videos", "audios");

    private SwiftRow() {}

    static Format formatOf(String file, long line, JsonNode row) {
        if (!row.isObject()) throw new DataError(file, line, null, "expected a JSON object, got " + row.getNodeType());
        for (String m : UNSUPPORTED_MEDIA)
            if (row.has(m) && !row.get(m).isNull() && !(row.get(m).isArray() && row.get(m).isEmpty()))
                throw new DataError(file, line, m, m + " are not supported (images are, with a GME model)");
        if (row.has("messages")) return Format.MESSAGES;
        if (row.has("query")) return Format.QUERY_RESPONSE;
        List<String> names = new ArrayList<>();
        row.fieldNames().forEachRemaining(names::add);
        if (Columns.guess(names) != null) return Format.COLUMNS; // hub data sets: {"sentence1", "sentence2", "score"} and the like
        throw new DataError(file, line, null, "neither 'query' (query/response format) nor 'messages' "
                + "(messages format) nor anchor/positive columns (sentence1/sentence2, anchor/positive, ...) found; fields are " + names);
    }

    static Record parse(String file, long line, JsonNode row, Format format) {
        Record r = switch (format) {
            case MESSAGES -> parseMessages(file, line, row);
            case QUERY_RESPONSE -> parseQueryResponse(file, line, row);
            case COLUMNS -> parseColumns(file, line, row);
        };
        return withImages(file, line, row, r, format);
    }

    /** Gives each {@code <image>} tag its file from the row's images, in ms-swift's order; tags without images are an error. */
    private static Record withImages(String file, long line, JsonNode row, Record r, Format format) {
        List<String> texts = new ArrayList<>();
        texts.add(r.anchor());
        texts.add(r.positive());
        texts.addAll(r.negatives());
        int tags = texts.stream().mapToInt(ImageText::tags).sum();
        JsonNode field = row.get("images");
        List<Path> images = images(file, line, field);
        if (tags == 0 && images.isEmpty()) return r;
        if (format == Format.COLUMNS) throw new DataError(file, line, "images", "images need the query/response or messages format");
        if (tags != images.size())
            throw new DataError(file, line, images.isEmpty() ? null : "images", tags + " <image> tag" + (tags == 1 ? "" : "s") + " in the texts but "
                    + images.size() + " image" + (images.size() == 1 ? "" : "s") + " in 'images'; each tag takes the next image, in the order "
                    + "query, response, rejected_response");
        List<String> out = new ArrayList<>();
        int used = 0;
        for (String t : texts) {
            int n = ImageText.tags(t);
            out.add(ImageText.of(t, images.subList(used, used + n)));
            used += n;
        }
        return new Record(out.get(0), out.get(1), out.subList(2, out.size()), r.label());
    }

    private static List<Path> images(String file, long line, JsonNode field) {
        List<Path> out = new ArrayList<>();
        if (field == null || field.isNull()) return out;
        List<JsonNode> items = new ArrayList<>();
        if (field.isArray()) field.forEach(items::add);
        else items.add(field);
        Path base = Path.of(file).toAbsolutePath().getParent();
        for (int i = 0; i < items.size(); i++) {
            String f = field.isArray() ? "images[" + i + "]" : "images";
            JsonNode n = items.get(i);
            String p = n.isTextual() ? n.asText() : n.isObject() && n.path("path").isTextual() ? n.get("path").asText() : null;
            if (p == null || p.isBlank()) throw new DataError(file, line, f, "expected an image path, got " + n);
            if (p.startsWith("http://") || p.startsWith("https://") || p.startsWith("data:"))
                throw new DataError(file, line, f, "'" + abbreviate(p) + "' is not a file; embtune reads images from disk only (download them first)");
            if (p.contains("<") || p.contains(">")) throw new DataError(file, line, f, "an image path may not contain < or >");
            Path path;
            try {
                path = base.resolve(p).normalize();
            } catch (java.nio.file.InvalidPathException e) {
                throw new DataError(file, line, f, "not a valid path: " + e.getMessage());
            }
            try {
                embtune.vision.RgbImage.checkHeader(path);
            } catch (embtune.vision.ImageError e) {
                throw new BadImage(file, line, f, e.getMessage().startsWith(path + ": no such image file") ? "no such image file: " + path : e.getMessage());
            }
            out.add(path);
        }
        return out;
    }

    /** An image reference that cannot be used; the loader gathers these so that one message lists every bad row. */
    static final class BadImage extends DataError {
        BadImage(String file, long line, String field, String problem) {
            super(file, line, field, problem);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    /** A flat row whose column names say which text is the anchor, the positive and the label (Columns' guesses). */
    private static Record parseColumns(String file, long line, JsonNode row) {
        List<String> names = new ArrayList<>();
        row.fieldNames().forEachRemaining(names::add);
        Columns c = Columns.guess(names);
        List<String> negatives = new ArrayList<>();
        for (String n : c.negatives()) {
            JsonNode v = row.get(n);
            if (v != null && !v.isNull() && !v.asText().isEmpty()) negatives.add(Fields.textWithImageTags(file, line, n, v.asText()));
        }
        Float label = null;
        if (c.label() != null) {
            JsonNode v = row.get(c.label());
            if (v == null || v.isNull()) throw new DataError(file, line, c.label(), "missing label");
            label = Fields.label(file, line, c.label(), v.asText(), c.labelScale());
        }
        return new Record(string(file, line, row, c.anchor()), string(file, line, row, c.positive()), negatives, label);
    }

    private static Record parseQueryResponse(String file, long line, JsonNode row) {
        String anchor = string(file, line, row, "query");
        String positive = string(file, line, row, "response");
        List<String> negatives = new ArrayList<>();
        JsonNode rej = row.get("rejected_response");
        if (rej != null && !rej.isNull()) {
            if (rej.isTextual()) negatives.add(Fields.textWithImageTags(file, line, "rejected_response", rej.asText()));
            else if (rej.isArray()) {
                for (int i = 0; i < rej.size(); i++) {
                    String f = "rejected_response[" + i + "]";
                    if (!rej.get(i).isTextual()) throw new DataError(file, line, f, "expected a string, got " + rej.get(i).getNodeType());
                    negatives.add(Fields.textWithImageTags(file, line, f, rej.get(i).asText()));
                }
            } else throw new DataError(file, line, "rejected_response", "expected a list of strings, got " + rej.getNodeType());
        }
        return new Record(anchor, positive, negatives, label(file, line, row));
    }

    private static Record parseMessages(String file, long line, JsonNode row) {
        String anchor = conversation(file, line, "messages", row.get("messages"));
        JsonNode pos = row.get("positive_messages");
        if (pos == null || pos.isNull()) throw new DataError(file, line, "positive_messages", "missing");
        if (!pos.isArray() || pos.isEmpty()) throw new DataError(file, line, "positive_messages", "expected a list holding one conversation");
        if (pos.size() > 1)
            throw new DataError(file, line, "positive_messages", pos.size() + " positives given; one per row is supported "
                    + "(ms-swift silently uses the first); split the row into one row per positive");
        String positive = conversation(file, line, "positive_messages[0]", pos.get(0));
        List<String> negatives = new ArrayList<>();
        JsonNode neg = row.get("negative_messages");
        if (neg != null && !neg.isNull()) {
            if (!neg.isArray()) throw new DataError(file, line, "negative_messages", "expected a list of conversations");
            for (int i = 0; i < neg.size(); i++)
                negatives.add(conversation(file, line, "negative_messages[" + i + "]", neg.get(i)));
        }
        return new Record(anchor, positive, negatives, label(file, line, row));
    }

    /** A conversation is a list of {role, content}; its text is the user content, after any system. */
    private static String conversation(String file, long line, String field, JsonNode msgs) {
        if (msgs == null || msgs.isNull()) throw new DataError(file, line, field, "missing");
        if (!msgs.isArray() || msgs.isEmpty()) throw new DataError(file, line, field, "expected a non-empty list of {role, content} messages");
        String system = null, user = null;
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode m = msgs.get(i);
            String f = field + "[" + i + "]";
            if (!m.isObject()) throw new DataError(file, line, f, "expected a {role, content} object");
            String role = string(file, line, m, "role", f + ".role");
            String content = string(file, line, m, "content", f + ".content");
            switch (role) {
                case "system" -> system = content;
                case "user" -> {
                    if (user != null) throw new DataError(file, line, f, "more than one user message; an embedding input is one text");
                    user = content;
                }
                case "assistant" -> {
                    if (!content.isEmpty()) throw new DataError(file, line, f, "assistant content is not used for embeddings");
                }
                default -> throw new DataError(file, line, f + ".role", "unknown role '" + role + "'");
            }
        }
        if (user == null) throw new DataError(file, line, field, "no user message");
        return system == null ? user : system + " " + user;
    }

    private static Float label(String file, long line, JsonNode row) {
        JsonNode l = row.get("label");
        if (l == null || l.isNull()) return null;
        if (!l.isNumber()) throw new DataError(file, line, "label", "expected a number, got " + l.getNodeType() + " " + l);
        return Fields.label(file, line, "label", l.asDouble());
    }

    private static String string(String file, long line, JsonNode row, String name) {
        return string(file, line, row, name, name);
    }

    private static String string(String file, long line, JsonNode row, String name, String field) {
        JsonNode v = row.get(name);
        if (v == null || v.isNull()) throw new DataError(file, line, field, "missing");
        if (!v.isTextual()) throw new DataError(file, line, field, "expected a string, got " + v.getNodeType());
        // a role is not a text, and an assistant turn is empty in embedding data
        if (name.equals("role") || name.equals("content") && isAssistant(row)) return v.asText();
        return Fields.textWithImageTags(file, line, field, v.asText());
    }

    private static boolean isAssistant(JsonNode msg) {
        JsonNode r = msg.get("role");
        return r != null && "assistant".equals(r.asText());
    }
}
