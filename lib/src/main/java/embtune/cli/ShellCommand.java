package embtune.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ./jbang shell}: JShell with the library and its dependencies on the class path and the
 * common imports already made, so the README's and the notebooks' Java runs as typed. JShell
 * evaluates in a second JVM that gets this process's class path.
 */
public final class ShellCommand {
    /** What every session starts with, besides JShell's own default imports. */
    static final List<String> IMPORTS = List.of("embtune.data.*", "embtune.model.*", "embtune.train.*", "embtune.eval.*",
            "embtune.lora.*", "embtune.loss.*", "embtune.report.*", "embtune.hub.DefaultModel", "embtune.onnx.OnnxRuntimePasses",
            "java.nio.file.*");

    private ShellCommand() {}

    public static void main(String[] argv) throws Exception {
        if (List.of(argv).contains("--help") || List.of(argv).contains("-h")) {
            System.out.println("shell: JShell with embtune and its dependencies on the class path, these imported: "
                    + String.join(", ", IMPORTS) + "\n\nusage: shell   (/exit leaves JShell)");
            return;
        }
        Path startup = Files.createTempFile("embtune-shell", ".jsh");
        startup.toFile().deleteOnExit();
        StringBuilder sb = new StringBuilder();
        for (String i : IMPORTS) sb.append("import ").append(i).append(";\n");
        Files.writeString(startup, sb);
        System.out.println("embtune shell: " + String.join(", ", IMPORTS) + " are imported; /exit to leave");
        int code = jdk.jshell.tool.JavaShellToolBuilder.builder().start(
                "--class-path", System.getProperty("java.class.path"), "--startup", "DEFAULT", "--startup", startup.toString(),
                "-R-Djava.awt.headless=true");
        System.exit(code);
    }


}
