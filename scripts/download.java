///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//DESCRIPTION Download a hub repository like huggingface-cli download: download REPO [FILES] [--repo_type dataset] [--local_dir DIR]

public class download {
    public static void main(String[] args) {
        embtune.cli.DownloadCommand.main(args);
    }
}
