///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//DESCRIPTION Mine hard negatives for (query, positive) pairs: mine --model M --dataset PAIRS [--corpus FILE] --output OUT.jsonl

public class mine {
    public static void main(String[] args) {
        embtune.cli.MineCommand.main(args);
    }
}
