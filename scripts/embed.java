///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//DESCRIPTION Embed texts (arguments, --file or stdin) with a model folder: jsonl, csv or a similarity table

public class embed {
    public static void main(String[] args) {
        embtune.cli.EmbedCommand.main(args);
    }
}
