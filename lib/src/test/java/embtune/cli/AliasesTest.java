package embtune.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code ./jbang NAME} of the README runs embtune's command, typed exactly as the README
 * types it, from the repository root: JBang's own subcommands (its {@code export}) must not win.
 * Slow: JBang builds each script once (the library's sources with it).
 */
@Tag("slow")
class AliasesTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** What each alias's --help starts with: its own usage, not JBang's. A new alias needs a line here. */
    static final Map<String, String> USAGE = Map.ofEntries(Map.entry("train", "train: "), Map.entry("eval", "eval: "),
            Map.entry("embed", "embed: "), Map.entry("export", "export: merge a LoRA adapter"), Map.entry("download", "download: "),
            Map.entry("data", "data: "), Map.entry("serve", "serve: "), Map.entry("mine", "mine: "), Map.entry("shell", "shell: "),
            Map.entry("bench-train", "train_bench ["), Map.entry("bench-serve", "bench-serve "), Map.entry("bench-cpu", "bench-cpu "),
            Map.entry("embed-corpus", "embed-corpus: "), Map.entry("rerank", "rerank: "), Map.entry("check-merge", "check-merge: "),
            Map.entry("bench-serve-adapters", "bench-serve-adapters "));

    static List<String> catalogAliases() throws IOException {
        JsonNode aliases = new ObjectMapper().readTree(ROOT.resolve("jbang-catalog.json").toFile()).get("aliases");
        List<String> out = new ArrayList<>();
        aliases.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** The NAME of every {@code ./jbang NAME} in the README that is not a script path. */
    static TreeSet<String> documented() throws IOException {
        Matcher m = Pattern.compile("\\./jbang ([A-Za-z][\\w-]*)(?![\\w./-])").matcher(Files.readString(ROOT.resolve("README.md")));
        TreeSet<String> names = new TreeSet<>();
        while (m.find()) names.add(m.group(1));
        return names;
    }

    @Test
    void everyDocumentedNameIsACatalogAliasWithAKnownUsage() throws IOException {
        assertTrue(documented().containsAll(List.of("train", "export", "shell", "bench-cpu")), "README parsed: " + documented());
        assertTrue(catalogAliases().containsAll(documented()), "README names without an alias: " + documented() + " vs " + catalogAliases());
        assertEquals(new TreeSet<>(USAGE.keySet()), new TreeSet<>(catalogAliases()), "every alias has its expected --help here");
    }

    @TestFactory
    List<DynamicTest> eachAliasRunsItsOwnHelp() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String alias : catalogAliases())
            tests.add(DynamicTest.dynamicTest("./jbang " + alias + " --help", () -> {
                Path err = Files.createTempFile("alias-" + alias, ".err"); // JBang's build messages and javac's notes
                Process p = new ProcessBuilder("./jbang", alias, "--help").directory(ROOT.toFile())
                        .redirectError(err.toFile()).start();
                p.getOutputStream().close(); // shell must not wait for input
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(10, TimeUnit.MINUTES), alias + " did not finish");
                String text = out + Files.readString(err);
                Files.delete(err);
                assertEquals(0, p.exitValue(), alias + ": " + text);
                assertTrue(out.startsWith(USAGE.get(alias)), alias + " printed: " + text);
            }));
        return tests;
    }
}
