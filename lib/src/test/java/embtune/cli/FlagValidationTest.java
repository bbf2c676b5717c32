package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Every numeric and choice flag of train is checked when parsed: one line naming flag, value and rule; exit 2. */
class FlagValidationTest {
    /** Runs train's parse-and-validate step only (no model, no data) and returns {exit code, stderr}. */
    static Object[] train(String... argv) {
        var err = new ByteArrayOutputStream();
        int code = TrainCommand.cli().run(argv, a -> ConfigFlags.apply(a, new embtune.train.TrainConfig()).validate(),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Object[] {code, err.toString(StandardCharsets.UTF_8)};
    }

    static void refused(String flag, String value, String words) {
        Object[] r = train("--" + flag, value);
        String err = (String) r[1];
        assertEquals(2, r[0], flag + " " + value + ": " + err);
        String first = err.lines().findFirst().orElse("");
        assertTrue(first.contains("--" + flag) && first.contains(value) && first.contains(words), flag + " " + value + ": " + err);
        assertFalse(err.contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void outOfRangeNumbersAreRefused() {
        refused("learning_rate", "-1", "> 0");
        refused("learning_rate", "0", "> 0");
        refused("warmup_ratio", "5", "[0, 1]");
        refused("adam_beta1", "1.5", "[0, 1)");
        refused("adam_beta2", "-0.1", "[0, 1)");
        refused("adam_epsilon", "0", "> 0");
        refused("weight_decay", "-0.1", ">= 0");
        refused("per_device_train_batch_size", "0", ">= 1");
        refused("per_device_train_batch_size", "-4", ">= 1");
        refused("per_device_eval_batch_size", "0", ">= 1");
        refused("save_steps", "0", ">= 1");
        refused("logging_steps", "0", ">= 1");
        refused("eval_steps", "0", ">= 1");
        refused("gradient_accumulation_steps", "0", ">= 1");
        refused("max_length", "0", ">= 1");
        refused("max_length", "-1", ">= 1");
        refused("max_steps", "0", "-1");
        refused("num_train_epochs", "0", "> 0");
        refused("split_dataset_ratio", "1", "[0, 1)");
        refused("lora_rank", "0", ">= 1");
        refused("lora_dropout", "1", "[0, 1)");
        refused("infonce_temperature", "0", "> 0");
        refused("mini_batch_size", "0", ">= 1");
    }

    @Test
    void unknownChoicesAreRefusedWithTheChoices() {
        refused("train_type", "qlora", "use lora");
        refused("train_type", "adalora", "full, lora");
        refused("lr_scheduler_type", "cosine_with_restarts", "constant, linear, cosine");
        refused("loss_type", "triplet", "infonce");
        refused("precision", "fp8", "fp16");
        refused("eval_strategy", "sometimes", "steps, no");
        refused("device", "tpu", "gpu:N");
        refused("hub", "github", "huggingface or modelscope");
    }

    @Test
    void goodValuesPass() {
        assertEquals(0, train("--learning_rate", "2e-5", "--warmup_ratio", "0.1", "--train_type", "LoRA", "--device", "gpu:1",
                "--save_total_limit", "0", "--max_steps", "-1", "--loss", "online-contrastive")[0]);
    }

    @Test
    void notANumberIsAUsageError() {
        Object[] r = train("--learning_rate", "fast");
        assertEquals(2, r[0]);
        assertTrue(((String) r[1]).startsWith("train: --learning_rate: 'fast' is not a number"), (String) r[1]);
    }
}
