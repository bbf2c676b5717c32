package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CliTest {
    static Cli cli() {
        return new Cli("t", "test").option("learning_rate", "1e-5", "lr").option("loss_type", "auto", "loss")
                .alias("loss", "loss_type").flag("skip_invalid", "skip").positionals("X", "things");
    }

    @Test
    void snakeKebabEqualsAndAliases() {
        var a = cli().parse("--learning-rate", "2e-4", "--loss=infonce", "--skip_invalid", "pos1");
        assertEquals(2e-4, a.number("learning_rate"));
        assertEquals("infonce", a.get("loss_type"));
        assertTrue(a.bool("skip_invalid"));
        assertTrue(a.given("learning_rate"));
        assertFalse(cli().parse().given("learning_rate"));
        assertEquals("1e-5", cli().parse().get("learning_rate"));
        assertEquals(java.util.List.of("pos1"), a.positionals());
        assertFalse(cli().parse("--skip-invalid", "false").bool("skip_invalid"));
    }

    @Test
    void mistakesAreUsageErrorsWithSuggestions() {
        assertTrue(assertThrows(Cli.UsageError.class, () -> cli().parse("--learning_rat", "1")).getMessage().contains("did you mean --learning_rate"));
        assertTrue(assertThrows(Cli.UsageError.class, () -> cli().parse("--learning_rate")).getMessage().contains("needs a value"));
        assertTrue(assertThrows(Cli.UsageError.class, () -> cli().parse("--skip_invalid=maybe")).getMessage().contains("true or false"));
        assertThrows(Cli.UsageError.class, () -> cli().parse("--learning_rate", "x").number("learning_rate"));
    }

    @Test
    void runTurnsFailuresIntoExitCodesAndOneLine() {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        var o = new PrintStream(out, true, StandardCharsets.UTF_8);
        var e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(0, cli().run(new String[] {"--help"}, a -> fail(), o, e));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--learning_rate LEARNING_RATE"));
        assertEquals(2, cli().run(new String[] {"--nope"}, a -> {}, o, e));
        assertEquals(1, cli().run(new String[] {}, a -> { throw new IllegalArgumentException("bad data"); }, o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("t: bad data"));
        assertFalse(err.toString(StandardCharsets.UTF_8).contains("at embtune"), "no stack trace for known errors");
    }

    @Test
    void unexpectedFailuresAreOneLineNamingTheirKind() {
        var err = new ByteArrayOutputStream();
        var e = new PrintStream(err, true, StandardCharsets.UTF_8);
        var o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertEquals(1, cli().run(new String[] {}, a -> { throw new NullPointerException("x is null"); }, o, e));
        assertEquals(1, cli().run(new String[] {}, a -> { throw new java.io.UncheckedIOException("cannot read f",
                new java.nio.charset.MalformedInputException(1)); }, o, e));
        assertEquals(2, cli().run(new String[] {}, a -> { throw new embtune.train.ConfigError("save_steps", 0, "it must be >= 1"); }, o, e));
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("t: internal error: NullPointerException: x is null"), text);
        assertTrue(text.contains("t: cannot read f: MalformedInputException"), text);
        assertTrue(text.contains("t: --save_steps: 0 is not allowed; it must be >= 1"), text);
        assertFalse(text.contains("\tat "), "no stack trace unless EMBTUNE_DEBUG is set: " + text);
    }
}
