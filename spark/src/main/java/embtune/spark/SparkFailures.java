package embtune.spark;

import java.util.concurrent.Callable;
import org.apache.spark.SparkException;

/**
 * A job that failed for good (Spark has retried its task) as the task's own error: "model folder X:
 * ..." rather than Spark's page of stage and executor details.
 */
public final class SparkFailures {
    private SparkFailures() {}

    public static <T> T rethrowCause(Callable<T> job) throws Exception {
        try {
            return job.call();
        } catch (SparkException e) {
            Throwable cause = e;
            while (cause.getCause() != null && cause.getCause() != cause) cause = cause.getCause();
            if (cause instanceof RuntimeException r && cause != e) throw r;
            throw new IllegalStateException(firstLine(e.getMessage()), e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "the Spark job failed";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
