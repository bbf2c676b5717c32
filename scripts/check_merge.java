///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//JAVA_OPTIONS -Xmx8g
//DESCRIPTION Check that a merged model gives its LoRA adapter's vectors: check-merge --adapters CKPT --merged DIR

public class check_merge {
    public static void main(String[] args) {
        embtune.cli.CheckMergeCommand.main(args);
    }
}
