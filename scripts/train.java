///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//JAVA_OPTIONS -Xmx8g
//DESCRIPTION Fine-tune an embedding model: train --loss infonce [--model DIR] [--dataset FILE] (swift sft flags)

public class train {
    public static void main(String[] args) {
        embtune.cli.TrainCommand.main(args);
    }
}
