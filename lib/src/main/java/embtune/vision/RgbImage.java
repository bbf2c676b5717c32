package embtune.vision;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * An 8-bit RGB picture, row-major {@code [y][x][r,g,b]}, read from PNG or JPEG by the JDK. What
 * the Qwen2-VL processor sees after PIL's {@code convert("RGB")}: samples are taken from the raster
 * as stored (no colour-management pass, which would shift grey levels), and transparency is
 * composited onto white with Pillow's integer formula, as transformers' {@code convert_to_rgb} does.
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (rgb.length != width * height * 3) throw new IllegalArgumentException("rgb holds " + rgb.length + " bytes, not " + width + "x" + height + "x3");
    }

    public int at(int x, int y, int channel) {
        return rgb[(y * width + x) * 3 + channel] & 0xff;
    }

    public static RgbImage read(Path file) {
        return open(file, true);
    }

    /**
     * Checks what can be checked without decoding the pixels: the file exists and is readable, its
     * header is one of a format the JDK reads, and its size is within {@link #MAX_PIXELS}. A data
     * set runs this on every image while it is read, so a bad one is found before training starts.
     */
    public static void checkHeader(Path file) {
        open(file, false);
    }

    private static RgbImage open(Path file, boolean decode) {
        if (!Files.isRegularFile(file)) throw new ImageError(file + ": no such image file");
        if (!Files.isReadable(file)) throw new ImageError(file + ": cannot be read (permissions)");
        try (var in = ImageIO.createImageInputStream(file.toFile())) {
            var readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) throw new ImageError(file + ": not a PNG, JPEG, GIF or BMP image the JDK can read");
            var reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0), h = reader.getHeight(0);
                // the size in the header, checked before decoding: a tiny file may claim gigapixels (Pillow refuses past 2 x 89M too)
                if (w * h > MAX_PIXELS)
                    throw new ImageError(file + ": " + w + "x" + h + " pixels is more than " + MAX_PIXELS + "; shrink it first");
                return decode ? of(reader.read(0)) : null;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ImageError ie) throw ie;
            throw new ImageError(file + ": cannot decode the image: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
    }

    /** Pillow's decompression-bomb limit (2 x MAX_IMAGE_PIXELS). */
    static final long MAX_PIXELS = 2L * 89_478_485;

    public static RgbImage of(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h * 3];
        Raster r = img.getRaster();
        int bands = r.getNumBands();
        boolean direct = img.getColorModel() instanceof ComponentColorModel && r.getSampleModel().getSampleSize(0) == 8;
        int[] px = new int[bands];
        for (int y = 0, o = 0; y < h; y++)
            for (int x = 0; x < w; x++, o += 3) {
                int red, green, blue, alpha;
                if (direct) { // gray, gray+alpha, RGB, RGBA as stored
                    r.getPixel(x, y, px);
                    boolean gray = bands <= 2;
                    red = px[0];
                    green = gray ? px[0] : px[1];
                    blue = gray ? px[0] : px[2];
                    alpha = bands == 2 ? px[1] : bands == 4 ? px[3] : 255;
                } else { // palette and packed formats: the colour model's ARGB
                    int argb = img.getRGB(x, y);
                    alpha = argb >>> 24;
                    red = (argb >> 16) & 0xff;
                    green = (argb >> 8) & 0xff;
                    blue = argb & 0xff;
                }
                out[o] = (byte) overWhite(red, alpha);
                out[o + 1] = (byte) overWhite(green, alpha);
                out[o + 2] = (byte) overWhite(blue, alpha);
            }
        return new RgbImage(w, h, out);
    }

    /** Pillow's alpha_composite of one channel over opaque white (7 fractional bits, division by 255 by shifts). */
    static int overWhite(int c, int alpha) {
        if (alpha == 255) return c;
        if (alpha == 0) return 255;
        long coef1 = alpha * 128L, coef2 = 255 * 128L - coef1;
        long tmp = c * coef1 + 255 * coef2 + (0x80 << 7);
        return (int) ((((tmp >> 8) + tmp) >> 8) >> 7);
    }

    @Override
    public String toString() {
        return "RgbImage " + width + "x" + height;
    }
}
