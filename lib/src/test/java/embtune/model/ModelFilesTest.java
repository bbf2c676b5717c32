package embtune.model;

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
}
