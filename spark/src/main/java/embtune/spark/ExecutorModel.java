package embtune.spark;

import embtune.engine.Torch;
import embtune.model.Embedder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.TaskContext;

/**
 * One loaded model per executor JVM. Tasks on the same executor run in threads of one process, so
 * the model is loaded by the first task that needs it and shared by the rest (inference only reads
 * the weights; each call works in its own arrays). It lives until the executor exits.
 */
final class ExecutorModel {
    private static final Map<String, Embedder> LOADED = new ConcurrentHashMap<>();

    private ExecutorModel() {}

    /**
     * The model for {@code source}, loaded on first use, with this task thread's libtorch threads set
     * to the cores Spark gave the task ({@code spark.task.cpus}): two tasks on one executor then use
     * their own cores each instead of both spreading over all of them.
     */
    static Embedder forTask(ModelSource source) {
        Embedder model = LOADED.computeIfAbsent(source.key(), k -> source.load());
        TaskContext task = TaskContext.get();
        Torch.intraOpThreads(task != null ? Math.max(1, task.cpus()) : Runtime.getRuntime().availableProcessors());
        return model;
    }
}
