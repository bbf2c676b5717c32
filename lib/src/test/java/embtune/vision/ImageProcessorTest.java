package embtune.vision;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import embtune.Fixtures;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/** The Qwen2-VL processor against transformers' (Pillow backend) on tiny-gme's images. */
class ImageProcessorTest {
    @Test
    void patchesMatchTransformersResizedOrNot() {
        ImageProcessor proc = ImageProcessor.read(Fixtures.dir("tiny-gme"));
        JsonNode pixels = Fixtures.json("tiny-gme/expected.json").get("pixels");
        for (var it = pixels.fields(); it.hasNext(); ) {
            var e = it.next();
            ImageProcessor.Patches p = proc.process(Fixtures.dir("tiny-gme").resolve(e.getKey()));
            JsonNode grid = e.getValue().get("grid_thw");
            assertArrayEquals(new int[] {grid.get(0).asInt(), grid.get(1).asInt(), grid.get(2).asInt()}, new int[] {p.t(), p.h(), p.w()}, e.getKey());
            JsonNode sums = e.getValue().get("patch_sums");
            int dim = p.values().length / p.count();
            double worst = 0;
            for (int i = 0; i < p.count(); i++) {
                double s = 0;
                for (int j = 0; j < dim; j++) s += p.values()[i * dim + j];
                worst = Math.max(worst, Math.abs(s - sums.get(i).asDouble()));
            }
            // sums of 1176 float32 values: a single pixel level off would move one by 1/255/std = 0.015
            assertTrue(worst < 1e-3, e.getKey() + ": patch sums differ by " + worst);
        }
    }

    @Test
    void smartResizeKeepsMultiplesWithinBounds() {
        assertArrayEquals(new int[] {56, 84}, ImageProcessor.smartResize(56, 84, 28, 3136, 12544));
        assertArrayEquals(new int[] {84, 112}, ImageProcessor.smartResize(100, 150, 28, 3136, 12544));
        assertArrayEquals(new int[] {56, 84}, ImageProcessor.smartResize(30, 40, 28, 3136, 12544));
        assertArrayEquals(new int[] {56, 56}, ImageProcessor.smartResize(70, 56, 28, 28 * 28, 28 * 28 * 16)); // 2.5 rounds to 2 (half to even)
        assertThrows(ImageError.class, () -> ImageProcessor.smartResize(1, 300, 28, 3136, 12544));
    }

    @Test
    void transparencyIsCompositedOntoWhiteAsPillowDoes() {
        // Pillow 12.3: Image.alpha_composite(white, RGBA(200, 100, 0, a)).convert("RGB") for a = 1, 50, 128, 200, 254
        int[][] pillow = {{1, 255, 254, 254}, {50, 244, 225, 205}, {128, 227, 177, 127}, {200, 212, 133, 55}, {254, 200, 101, 1}};
        for (int[] p : pillow)
            assertArrayEquals(new int[] {p[1], p[2], p[3]},
                    new int[] {RgbImage.overWhite(200, p[0]), RgbImage.overWhite(100, p[0]), RgbImage.overWhite(0, p[0])}, "alpha " + p[0]);
        assertEquals(255, RgbImage.overWhite(0, 0));
        assertEquals(200, RgbImage.overWhite(200, 255));
        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00123456);
        argb.setRGB(1, 0, 0xff123456);
        RgbImage rgb = RgbImage.of(argb);
        assertEquals(255, rgb.at(0, 0, 0));
        assertEquals(0x12, rgb.at(1, 0, 0));
        assertEquals(0x56, rgb.at(1, 0, 2));
    }

    @org.junit.jupiter.api.Test
    void badImagesAreOneLineErrors(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var notImage = java.nio.file.Files.writeString(dir.resolve("x.png"), "not a picture");
        assertTrue(assertThrows(ImageError.class, () -> RgbImage.read(notImage)).getMessage().contains("not a PNG, JPEG"));
        // a PNG cut in half: the header is fine, the pixels are not
        byte[] png = java.nio.file.Files.readAllBytes(Fixtures.dir("tiny-gme").resolve("wide.png"));
        var cut = java.nio.file.Files.write(dir.resolve("cut.png"), java.util.Arrays.copyOf(png, png.length / 2));
        var e = assertThrows(ImageError.class, () -> RgbImage.read(cut));
        assertTrue(e.getMessage().startsWith(cut.toString()) && !e.getMessage().contains("\n"), e.getMessage());
        // a header claiming 100000 x 100000 pixels is refused before anything is decoded
        var bomb = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(1, 1, java.awt.image.BufferedImage.TYPE_INT_RGB), "png", bomb);
        byte[] b = bomb.toByteArray(); // IHDR width/height at bytes 16..23 (the CRC is then wrong, which the size check precedes)
        java.nio.ByteBuffer.wrap(b, 16, 8).putInt(100000).putInt(100000);
        var big = java.nio.file.Files.write(dir.resolve("big.png"), b);
        var be = assertThrows(ImageError.class, () -> RgbImage.read(big));
        assertTrue(be.getMessage().contains("100000x100000") || be.getMessage().contains("cannot decode"), be.getMessage());
        assertTrue(assertThrows(ImageError.class, () -> RgbImage.read(dir.resolve("none.png"))).getMessage().contains("no such image file"));
    }
}
