///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//DESCRIPTION Serve a model as an OpenAI-compatible embeddings endpoint: serve --model DIR [--port 8000]

public class serve {
    public static void main(String[] args) {
        embtune.cli.ServeCommand.main(args);
    }
}
