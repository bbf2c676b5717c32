package embtune.cli;

import embtune.train.Run;
import embtune.train.TrainConfig;

/** The train and rerank commands for tests in other packages (checkpoints made the way users make them). */
public final class TrainCommandAccess {
    private TrainCommandAccess() {}

    public static Run run(TrainConfig config) {
        return TrainCommand.run(config);
    }

    public static embtune.train.RerankerTraining.Result trainReranker(String... argv) {
        var config = TrainCommand.config(TrainCommand.cli().parse(argv), java.util.Map.of(), new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        return TrainCommand.trainReranker(config);
    }

    public static embtune.rerank.Reranker loadReranker(String model) {
        return RerankCommand.load(model, embtune.rerank.Reranker.Options.defaults(), null);
    }
}
