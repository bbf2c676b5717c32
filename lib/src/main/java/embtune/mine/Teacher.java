package embtune.mine;

import java.util.List;

/**
 * What embeds the texts negatives are mined with: a local model ({@link LocalTeacher}) or an
 * OpenAI-compatible endpoint ({@link EndpointTeacher}). Vectors come back in input order; the
 * miner normalises them.
 */
public interface Teacher extends AutoCloseable {
    float[][] embed(List<String> texts);

    /** The prompt queries get when none is given (the model's own, e.g. bge's query instruction); "" for none. */
    default String queryPrompt() { return ""; }

    /** The prompt documents get when none is given; "" for none. */
    default String documentPrompt() { return ""; }

    /** For logs and the summary. */
    String name();

    /** Where the products of exact search run: the model's device, else the CPU. */
    default ai.djl.Device device() { return ai.djl.Device.cpu(); }

    @Override
    default void close() {}
}
