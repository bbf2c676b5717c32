///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//JAVA_OPTIONS -Xmx8g
//DESCRIPTION Evaluate models side by side: eval --model BASE --model TUNED --dataset datasets/stsb-test.jsonl

public class eval {
    public static void main(String[] args) {
        embtune.cli.EvalCommand.main(args);
    }
}
