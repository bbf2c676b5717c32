///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//DESCRIPTION JShell with embtune on the class path and its packages imported: ./jbang shell

public class shell {
    public static void main(String[] args) throws Exception {
        embtune.cli.ShellCommand.main(args);
    }
}
