///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//JAVA_OPTIONS -Xmx8g
//DESCRIPTION Merge a LoRA adapter into its base model: export --adapters CKPT --merge_lora true [--output_dir DIR]

public class export {
    public static void main(String[] args) {
        embtune.cli.ExportCommand.main(args);
    }
}
