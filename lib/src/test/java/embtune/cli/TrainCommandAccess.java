package embtune.cli;

import embtune.train.Run;
import embtune.train.TrainConfig;

/** The train command for tests in other packages (a LoRA checkpoint made the way users make one). */
public final class TrainCommandAccess {
    private TrainCommandAccess() {}

    public static Run run(TrainConfig config) {
        return TrainCommand.run(config);
    }
}
