package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import embtune.Fixtures;
import embtune.train.ConfigError;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** train --resume_from_checkpoint LORA_CKPT --train_type full is refused when the flags are read, before any data or model. */
class ResumeFlagsTest {
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @Test
    void anExplicitTrainTypeMustMatchTheCheckpoint() {
        String lora = Fixtures.dir("tiny-qwen3-lora").toString();
        var a = TrainCommand.cli().parse("--resume_from_checkpoint", lora, "--train_type", "full", "--dataset", "../datasets/stsb-train.jsonl");
        var e = assertThrows(ConfigError.class, () -> TrainCommand.config(a, Map.of(), QUIET));
        assertTrue(e.getMessage().startsWith("--train_type full does not match --resume_from_checkpoint " + lora + ", a LoRA checkpoint"), e.getMessage());
        // without --train_type the checkpoint decides (LoRA continues as LoRA)
        TrainCommand.config(TrainCommand.cli().parse("--resume_from_checkpoint", lora, "--dataset", "../datasets/stsb-train.jsonl"), Map.of(), QUIET);
        TrainCommand.config(TrainCommand.cli().parse("--resume_from_checkpoint", lora, "--train_type", "lora", "--dataset", "../datasets/stsb-train.jsonl"),
                Map.of(), QUIET);
    }
}
