///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//DESCRIPTION Order documents by a reranker's relevance to a query: rerank --model R --query Q DOC...

public class rerank {
    public static void main(String[] args) {
        embtune.cli.RerankCommand.main(args);
    }
}
