package embtune;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Scripts get their dependencies from Embtune.java's //DEPS lines; they must equal the pom's. */
class DependenciesTest {
    @Test
    void jbangDepsMatchThePom() throws Exception {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher props = Pattern.compile("<(djl|pytorch|jackson)\\.version>([^<]+)<").matcher(pom);
        while (props.find()) pom = pom.replace("${" + props.group(1) + ".version}", props.group(2));
        Matcher dep = Pattern.compile("<dependency>\\s*<groupId>([^<]+)</groupId>\\s*<artifactId>([^<]+)</artifactId>\\s*"
                + "<version>([^<]+)</version>\\s*(?:<classifier>([^<]+)</classifier>\\s*)?(<scope>test</scope>)?").matcher(pom);
        TreeSet<String> fromPom = new TreeSet<>();
        while (dep.find())
            if (dep.group(5) == null)
                fromPom.add(dep.group(1) + ":" + dep.group(2) + ":" + dep.group(3) + (dep.group(4) == null ? "" : ":" + dep.group(4)));
        List<String> deps = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("src/main/java/embtune/Embtune.java")))
            if (line.startsWith("//DEPS ")) deps.add(line.substring(7).trim());
        assertEquals(fromPom, new TreeSet<>(deps));
        assertEquals(fromPom.size(), deps.size(), "no //DEPS line twice");
    }
}
