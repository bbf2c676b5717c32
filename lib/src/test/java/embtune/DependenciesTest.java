package embtune;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What the library depends on. Outside: scripts get their jars from Embtune.java's //DEPS lines,
 * which must equal the pom's. Inside: the packages are layered as lib/ARCHITECTURE.md lists them,
 * read from the sources (imports and fully qualified names, comments and strings left out).
 */
class DependenciesTest {
    static final Path MAIN = Path.of("src", "main", "java", "embtune");

    /** The pom's compile and runtime dependencies as group:artifact:version[:classifier], properties resolved. */
    static TreeSet<String> pomDependencies() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher props = Pattern.compile("<([\\w.-]+\\.version)>([^<]+)<").matcher(pom);
        while (props.find()) pom = pom.replace("${" + props.group(1) + "}", props.group(2));
        Matcher dep = Pattern.compile("<dependency>\\s*<groupId>([^<]+)</groupId>\\s*<artifactId>([^<]+)</artifactId>\\s*"
                + "<version>([^<]+)</version>\\s*(?:<classifier>([^<]+)</classifier>\\s*)?(<scope>test</scope>)?").matcher(pom);
        TreeSet<String> fromPom = new TreeSet<>();
        while (dep.find())
            if (dep.group(5) == null)
                fromPom.add(dep.group(1) + ":" + dep.group(2) + ":" + dep.group(3) + (dep.group(4) == null ? "" : ":" + dep.group(4)));
        return fromPom;
    }

    @Test
    void jbangDepsMatchThePom() throws Exception {
        TreeSet<String> fromPom = pomDependencies();
        List<String> deps = new ArrayList<>();
        for (String line : Files.readAllLines(MAIN.resolve("Embtune.java")))
            if (line.startsWith("//DEPS ")) deps.add(line.substring(7).trim());
        // both lists read something real: the engine, the tokenizers, JSON and tables, at the pom's versions
        String djl = Pattern.compile("<djl\\.version>([^<]+)<").matcher(Files.readString(Path.of("pom.xml"))).results()
                .findFirst().orElseThrow(() -> new AssertionError("pom.xml has no djl.version")).group(1);
        for (String known : List.of("ai.djl:api:" + djl, "ai.djl.pytorch:pytorch-engine:" + djl, "ai.djl.huggingface:tokenizers:" + djl,
                "com.fasterxml.jackson.core:jackson-databind:", "tech.tablesaw:tablesaw-core:")) {
            assertTrue(fromPom.stream().anyMatch(d -> d.startsWith(known)), "the pom's dependencies name " + known + ": " + fromPom);
            assertTrue(deps.stream().anyMatch(d -> d.startsWith(known)), "Embtune.java's //DEPS name " + known + ": " + deps);
        }
        assertTrue(fromPom.stream().anyMatch(d -> d.startsWith("ai.djl.pytorch:pytorch-native-cpu:") && d.endsWith(":linux-x86_64")),
                "the classifier is read: " + fromPom);
        assertTrue(fromPom.stream().noneMatch(d -> d.contains("${")), "every version property resolved: " + fromPom);
        assertTrue(fromPom.stream().noneMatch(d -> d.contains("junit") || d.contains("langchain4j-open-ai")), "test scope left out: " + fromPom);
        assertEquals(fromPom, new TreeSet<>(deps));
        assertEquals(fromPom.size(), deps.size(), "no //DEPS line twice");
    }

    // --- the packages ---

    static final Pattern PACKAGE = Pattern.compile("^package embtune(?:\\.(\\w+))?[.\\w]*;", Pattern.MULTILINE);
    /** embtune.pkg.Class or embtune.Class (the root), in imports and in code. */
    static final Pattern REFERENCE = Pattern.compile("\\bembtune\\.(?:([a-z]\\w*)\\.)?[A-Z]");
    static final String ROOT = "embtune";

    /** One source file: its top-level package (ROOT for embtune itself), lines, and the packages it names. */
    record Source(Path file, String pkg, int lines, TreeSet<String> uses) {}

    static List<Source> sources() throws IOException {
        List<Source> out = new ArrayList<>();
        try (var walk = Files.walk(MAIN)) {
            for (Path f : walk.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String text = Files.readString(f), code = codeOnly(text);
                Matcher p = PACKAGE.matcher(code);
                assertTrue(p.find(), f + " declares no embtune package");
                String pkg = p.group(1) == null ? ROOT : p.group(1);
                TreeSet<String> uses = new TreeSet<>();
                for (Matcher r = REFERENCE.matcher(code); r.find(); ) uses.add(r.group(1) == null ? ROOT : r.group(1));
                uses.remove(pkg);
                out.add(new Source(f, pkg, (int) text.lines().count(), uses));
            }
        }
        return out;
    }

    /** Package -> the packages it uses, each with one file that shows it. */
    static Map<String, Map<String, Path>> graph(List<Source> sources) {
        Map<String, Map<String, Path>> g = new TreeMap<>();
        for (Source s : sources) {
            Map<String, Path> to = g.computeIfAbsent(s.pkg(), k -> new TreeMap<>());
            for (String u : s.uses()) to.putIfAbsent(u, s.file());
        }
        return g;
    }

    @Test
    void noTwoPackagesDependOnEachOther() throws Exception {
        Map<String, Map<String, Path>> g = graph(sources());
        assertTrue(g.size() >= 10 && g.get("cli").containsKey("train"), "the scan sees the packages and their imports: " + g.keySet());
        List<String> both = new ArrayList<>();
        for (var a : g.entrySet())
            for (var b : a.getValue().entrySet())
                if (a.getKey().compareTo(b.getKey()) < 0 && g.getOrDefault(b.getKey(), Map.of()).containsKey(a.getKey()))
                    both.add(a.getKey() + " <-> " + b.getKey() + " (" + b.getValue() + ", " + g.get(b.getKey()).get(a.getKey()) + ")");
        assertEquals(List.of(), both, "packages that import each other");
    }

    @Test
    void noPackageHoldsMoreThanAQuarterOfTheCode() throws Exception {
        List<Source> sources = sources();
        Map<String, Integer> lines = new TreeMap<>();
        for (Source s : sources) lines.merge(s.pkg(), s.lines(), Integer::sum);
        int total = lines.values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(total > 10_000, "the scan reads the library: " + total + " lines");
        for (var e : lines.entrySet())
            assertTrue(e.getValue() <= total / 4.0, e.getKey() + " holds " + e.getValue() + " of " + total + " lines, more than a quarter: " + lines);
    }

    /** The packages in the order lib/ARCHITECTURE.md presents them, one bold `name` paragraph each. */
    static List<String> documentedOrder() throws IOException {
        List<String> order = new ArrayList<>();
        for (Matcher m = Pattern.compile("^\\*\\*`(\\w+)`\\*\\*", Pattern.MULTILINE).matcher(Files.readString(Path.of("ARCHITECTURE.md"))); m.find(); )
            order.add(m.group(1));
        return order;
    }

    @Test
    void eachPackageImportsOnlyPackagesListedAboveItInArchitectureMd() throws Exception {
        List<String> order = documentedOrder();
        assertTrue(order.size() >= 10 && order.get(0).equals(ROOT), "ARCHITECTURE.md lists the packages, the root first: " + order);
        Map<String, Map<String, Path>> g = graph(sources());
        List<String> wrong = new ArrayList<>();
        for (var a : g.entrySet()) {
            int at = order.indexOf(a.getKey());
            if (at < 0) {
                wrong.add(a.getKey() + " is not in ARCHITECTURE.md");
                continue;
            }
            for (var b : a.getValue().entrySet())
                if (order.indexOf(b.getKey()) < 0 || order.indexOf(b.getKey()) > at)
                    wrong.add(a.getKey() + " imports " + b.getKey() + ", listed below it (" + b.getValue() + ")");
        }
        assertEquals(List.of(), wrong, "imports against the order " + order);
    }

    /** The source with comments, string, text-block and char literals blanked: names there are no dependency. */
    static String codeOnly(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            int end;
            if (s.startsWith("//", i)) end = s.indexOf('\n', i) < 0 ? n : s.indexOf('\n', i);
            else if (s.startsWith("/*", i)) end = s.indexOf("*/", i + 2) < 0 ? n : s.indexOf("*/", i + 2) + 2;
            else if (s.startsWith("\"\"\"", i)) end = s.indexOf("\"\"\"", i + 3) < 0 ? n : s.indexOf("\"\"\"", i + 3) + 3;
            else if (c == '"' || c == '\'') {
                end = i + 1;
                while (end < n && s.charAt(end) != c) end += s.charAt(end) == '\\' ? 2 : 1;
                end = Math.min(n, end + 1);
            } else {
                out.append(c);
                i++;
                continue;
            }
            out.append(' ');
            for (int k = i; k < end; k++) if (s.charAt(k) == '\n') out.append('\n'); // keep line numbers
            i = end;
        }
        return out.toString();
    }
}
