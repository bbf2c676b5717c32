///usr/bin/env jbang "$0" "$@" ; exit $?
//SOURCES ../lib/src/main/java/**/*.java
//SOURCES src/TrainBench.java
//JAVA_OPTIONS -Xmx24g
//DESCRIPTION Training throughput of the GPU issue's four workloads (random weights), one JSON line per workload and precision

/**
 * Usage: {@code jbang bench/train_gpu.java [--workload all|ID,...] [--precision all|fp32,tf32,fp16]
 * [--steps 10] [--warmup 3] [--device auto] [--gradient_checkpointing] [--tiny] [--in_process]}.
 * Each case runs in a fresh JVM with TORCH_ALLOW_TF32_CUBLAS_OVERRIDE set only for tf32.
 * On a GPU machine DJL fetches the CUDA libtorch once (or set PYTORCH_LIBRARY_PATH); see README.
 */
public class train_gpu {
    public static void main(String[] args) throws Exception {
        embtune.bench.TrainBench.main(args);
    }
}
