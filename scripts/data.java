///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//DESCRIPTION Inspect a data set: kind, recommended loss, text lengths and labels

import embtune.cli.DataCommand;

public class data {
    public static void main(String[] args) {
        DataCommand.main(args);
    }
}
