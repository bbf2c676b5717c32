///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//DESCRIPTION Rebuild datasets/ from the raw STS Benchmark files: build_datasets [STSB_DIR] [OUT_DIR]

public class build_datasets {
    public static void main(String[] args) {
        embtune.data.StsbSamples.main(args);
    }
}
