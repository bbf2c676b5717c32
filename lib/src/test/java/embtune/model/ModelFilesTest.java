package embtune.model;

import embtune.ModelError;
import embtune.weights.Safetensors;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad model folders and weight files give clear errors, never a JVM crash. */
class ModelFilesTest {
    @TempDir Path dir;

    private String openFails(String header, int data) {
        Path f = ModelFolders.rawSafetensors(dir.resolve("x.safetensors"), header, data);
        return assertThrows(ModelError.class, () -> Safetensors.open(f)).getMessage();
    }

    @Test
    void corruptSafetensorsAreDescribed() throws IOException {
        assertTrue(openFails("{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 16]}}", 8).contains("outside the 8 data bytes"));
        assertTrue(openFails("{\"w\": {\"dtype\": \"Q4\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 8).contains("unknown dtype"));
        assertTrue(openFails("{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8).contains("12 bytes) but 8 bytes"));
        assertTrue(openFails("{not json", 0).contains("not valid JSON"));
        assertTrue(openFails("{\"w\": {\"dtype\": \"F32\", \"shape\": [2]}}", 8).contains("data_offsets"));

        Path tooLong = dir.resolve("long.safetensors");
        Files.write(tooLong, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertTrue(assertThrows(ModelError.class, () -> Safetensors.open(tooLong)).getMessage().contains("header length"));
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[3]);
        assertTrue(assertThrows(ModelError.class, () -> Safetensors.open(tiny)).getMessage().contains("shorter than"));
    }

    @Test
    void corruptWeightsInAModelFolder() throws IOException {
        Path m = ModelFolders.copy("tiny-bert", dir);
        Files.write(m.resolve("model.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        String msg = assertThrows(ModelError.class, () -> Embedder.load(m)).getMessage();
        assertTrue(msg.contains("model.safetensors") && msg.contains("not a valid safetensors file"), msg);
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        assertTrue(assertThrows(ModelError.class, () -> Embedder.load(dir.resolve("nope"))).getMessage().contains("no such model folder"));
        Path m = ModelFolders.copy("tiny-bert", dir);
        Files.delete(m.resolve("tokenizer.json"));
        assertTrue(assertThrows(ModelError.class, () -> Embedder.load(m)).getMessage().contains("no tokenizer.json"));
        Files.delete(m.resolve("config.json"));
        assertTrue(assertThrows(ModelError.class, () -> Embedder.load(m)).getMessage().contains("no config.json"));
    }

    @Test
    void unsupportedArchitectureListsSupportedOnes() throws IOException {
        Path m = ModelFolders.copy("tiny-bert", dir);
        Files.writeString(m.resolve("config.json"), Files.readString(m.resolve("config.json")).replace("\"bert\"", "\"llama\""));
        String msg = assertThrows(ModelError.class, () -> Embedder.load(m)).getMessage();
        assertTrue(msg.contains("'llama'") && msg.contains("qwen3") && msg.contains("modernbert"), msg);
    }

    @Test
    void pickleWeightsAreRefusedWithAHint() throws IOException {
        Path m = ModelFolders.copy("tiny-bert", dir);
        Files.delete(m.resolve("model.safetensors"));
        Files.write(m.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
        String msg = assertThrows(ModelError.class, () -> Embedder.load(m)).getMessage();
        assertTrue(msg.contains("never unpickles") && msg.contains("safe_serialization=True"), msg);
    }

    @Test
    void weightsThatDoNotFitTheConfigAreNamed() throws IOException {
        Path m = ModelFolders.copy("tiny-bert", dir);
        Files.writeString(m.resolve("config.json"), Files.readString(m.resolve("config.json")).replace("\"intermediate_size\": 64", "\"intermediate_size\": 65"));
        String msg = assertThrows(ModelError.class, () -> Embedder.load(m)).getMessage();
        assertTrue(msg.contains("intermediate.dense.weight") && msg.contains("config.json implies"), msg);
    }

    private Path withConfig(String fixture, String from, String to) throws IOException {
        Path m = ModelFolders.copy(fixture, dir);
        String c = Files.readString(m.resolve("config.json"));
        assertTrue(c.contains(from), from);
        Files.writeString(m.resolve("config.json"), c.replace(from, to));
        return m;
    }

    @Test
    void fewerLayersInTheConfigThanInTheWeightsIsAnError() throws IOException {
        Path m = withConfig("tiny-bert", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1");
        String msg = assertThrows(ModelError.class, () -> Embedder.load(m)).getMessage();
        assertTrue(msg.contains("num_hidden_layers 1") && msg.contains("hold 2 layers"), msg);
        Path q = withConfig("tiny-qwen3", "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1");
        assertTrue(assertThrows(ModelError.class, () -> Embedder.load(q)).getMessage().contains("hold 2 layers"));
    }

    @Test
    void headsThatDoNotDivideTheWidthAreOneSentence() throws IOException {
        Path m = withConfig("tiny-bert", "\"num_attention_heads\": 4", "\"num_attention_heads\": 5");
        String msg = assertThrows(ModelError.class, () -> Embedder.load(m)).getMessage();
        assertTrue(msg.contains("hidden_size 32 is not divisible by num_attention_heads 5"), msg);
        Path z = withConfig("tiny-bert", "\"num_attention_heads\": 4", "\"num_attention_heads\": 0");
        assertTrue(assertThrows(ModelError.class, () -> Embedder.load(z)).getMessage().contains("num_attention_heads is 0"));
    }

    @Test
    void maxLengthIsCappedAtTheModelsPositions() {
        try (Embedder e = Embedder.load(embtune.Fixtures.dir("tiny-bert"), Embedder.Options.defaults().maxLength(100_000))) {
            assertEquals(128, e.tokenizer().maxLength());
            String longText = "word ".repeat(400);
            assertEquals(128, e.encode(java.util.List.of(longText)).length());
            assertEquals(1, e.embed(longText).length, "a text longer than the positions embeds");
        }
    }
}
