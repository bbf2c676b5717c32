package embtune.vision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Qwen2-VL image processor ({@code preprocessor_config.json}): RGB, {@link #smartResize} to
 * multiples of patch x merge within [min_pixels, max_pixels], Pillow bicubic, rescale by 1/255,
 * normalise with the CLIP mean/std, repeat the frame to temporal_patch_size, and cut into patches
 * in the processor's order (merge windows of merge x merge patches kept together, so the vision
 * tower's merger can fold each window into one token).
 */
public record ImageProcessor(int minPixels, int maxPixels, int patchSize, int temporalPatchSize, int mergeSize,
                             float[] mean, float[] std, double rescaleFactor) {
    static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    /** An image as the vision tower takes it: [patches, 3 * temporal * patch * patch] and its grid (t, h, w) in patches. */
    public record Patches(float[] values, int t, int h, int w) {
        public int count() { return t * h * w; }
        /** Tokens the image takes in the text, one per merge window: {@code <|image_pad|>} repeated this often. */
        public int tokens(int mergeSize) { return count() / (mergeSize * mergeSize); }
    }

    public static ImageProcessor defaults() {
        return new ImageProcessor(56 * 56, 28 * 28 * 1280, 14, 2, 2, CLIP_MEAN, CLIP_STD, 1 / 255.0);
    }

    /** Reads preprocessor_config.json (min/max pixels at the top level or as size.shortest_edge/longest_edge). */
    public static ImageProcessor read(Path dir) {
        Path file = dir.resolve("preprocessor_config.json");
        if (!Files.exists(file)) throw new ImageError(dir + ": no preprocessor_config.json (the image processor's settings)");
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ImageError(file + ": not valid JSON: " + embtune.Json.problem(e));
        }
        ImageProcessor d = defaults();
        JsonNode size = c.path("size");
        int min = c.path("min_pixels").asInt(size.path("shortest_edge").asInt(size.path("min_pixels").asInt(d.minPixels)));
        int max = c.path("max_pixels").asInt(size.path("longest_edge").asInt(size.path("max_pixels").asInt(d.maxPixels)));
        if (c.path("do_resize").isBoolean() && !c.get("do_resize").asBoolean()
                || c.path("do_rescale").isBoolean() && !c.get("do_rescale").asBoolean()
                || c.path("do_normalize").isBoolean() && !c.get("do_normalize").asBoolean())
            throw new ImageError(file + ": do_resize, do_rescale and do_normalize false are not supported");
        if (c.has("resample") && c.get("resample").asInt() != 3)
            throw new ImageError(file + ": resample " + c.get("resample") + " is not supported (3, bicubic, only)");
        ImageProcessor p = new ImageProcessor(min, max, c.path("patch_size").asInt(d.patchSize),
                c.path("temporal_patch_size").asInt(d.temporalPatchSize), c.path("merge_size").asInt(d.mergeSize),
                floats(c.get("image_mean"), d.mean), floats(c.get("image_std"), d.std), c.path("rescale_factor").asDouble(d.rescaleFactor));
        if (p.minPixels < 1 || p.maxPixels < p.minPixels || p.patchSize < 1 || p.temporalPatchSize < 1 || p.mergeSize < 1)
            throw new ImageError(file + ": sizes out of range: " + p);
        return p;
    }

    private static float[] floats(JsonNode n, float[] otherwise) {
        if (n == null || !n.isArray() || n.size() != 3) return otherwise;
        return new float[] {(float) n.get(0).asDouble(), (float) n.get(1).asDouble(), (float) n.get(2).asDouble()};
    }

    public int factor() {
        return patchSize * mergeSize;
    }

    /**
     * transformers' smart_resize: round each side to a multiple of factor; if the area leaves
     * [min, max], scale both sides by the square root of the excess (floor going down, ceil going up).
     * Returns {height, width}.
     */
    public static int[] smartResize(int height, int width, int factor, int minPixels, int maxPixels) {
        if ((double) Math.max(height, width) / Math.min(height, width) > 200)
            throw new ImageError("absolute aspect ratio must be smaller than 200, got " + (double) Math.max(height, width) / Math.min(height, width));
        int h = roundHalfEven((double) height / factor) * factor; // Python's round: half to even
        int w = roundHalfEven((double) width / factor) * factor;
        if ((long) h * w > maxPixels) {
            double beta = Math.sqrt((double) height * width / maxPixels);
            h = Math.max(factor, (int) Math.floor(height / beta / factor) * factor);
            w = Math.max(factor, (int) Math.floor(width / beta / factor) * factor);
        } else if ((long) h * w < minPixels) {
            double beta = Math.sqrt((double) minPixels / ((double) height * width));
            h = (int) Math.ceil(height * beta / factor) * factor;
            w = (int) Math.ceil(width * beta / factor) * factor;
        }
        return new int[] {h, w};
    }

    static int roundHalfEven(double x) {
        return (int) Math.rint(x);
    }

    public Patches process(RgbImage image) {
        int[] hw = smartResize(image.height(), image.width(), factor(), minPixels, maxPixels);
        RgbImage img = PillowResize.resize(image, hw[1], hw[0]);
        int gh = hw[0] / patchSize, gw = hw[1] / patchSize, m = mergeSize, p = patchSize, tp = temporalPatchSize;
        int dim = 3 * tp * p * p;
        float[] out = new float[gh * gw * dim];
        float[] scaled = new float[256 * 3]; // the 256 levels per channel: rescale in float64, cast, normalise in float32
        for (int c = 0; c < 3; c++)
            for (int v = 0; v < 256; v++) scaled[c * 256 + v] = ((float) (v * rescaleFactor) - mean[c]) / std[c];
        // patch index order: (row of windows, column of windows, row in window, column in window)
        int patch = 0;
        for (int wy = 0; wy < gh / m; wy++)
            for (int wx = 0; wx < gw / m; wx++)
                for (int my = 0; my < m; my++)
                    for (int mx = 0; mx < m; mx++, patch++) {
                        int y0 = (wy * m + my) * p, x0 = (wx * m + mx) * p, o = patch * dim;
                        for (int c = 0; c < 3; c++)
                            for (int t = 0; t < tp; t++) // the frame repeated temporal_patch_size times
                                for (int py = 0; py < p; py++)
                                    for (int px = 0; px < p; px++)
                                        out[o++] = scaled[c * 256 + img.at(x0 + px, y0 + py, c)];
                    }
        return new Patches(out, 1, gh, gw);
    }

    public Patches process(Path file) {
        return process(RgbImage.read(file));
    }

    @Override
    public String toString() {
        return "Qwen2-VL image processor: " + minPixels + ".." + maxPixels + " pixels, patch " + patchSize + ", merge " + mergeSize
                + ", temporal " + temporalPatchSize;
    }
}
