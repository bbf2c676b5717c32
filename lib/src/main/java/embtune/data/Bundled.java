package embtune.data;

import embtune.loss.LossType;
import java.nio.file.Files;
import java.nio.file.Path;

/** The STS-B samples in datasets/, found from the working directory upwards. */
public final class Bundled {
    private Bundled() {}

    /** The sample that fits a loss: scores for cosine, 0/1 pairs for contrastive, triplets for infonce. */
    public static String forLoss(LossType loss) {
        String file = switch (loss == null ? LossType.COSINE_SIMILARITY : loss) {
            case COSINE_SIMILARITY -> "stsb-train.jsonl";
            case CONTRASTIVE, ONLINE_CONTRASTIVE -> "stsb-binary-train.jsonl";
            case INFONCE -> "stsb-infonce-train.jsonl";
        };
        return find(file).toString();
    }

    public static Path find(String name) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve("datasets").resolve(name);
            if (Files.exists(p)) return p;
        }
        throw new DataError("datasets/" + name, 0, null, "bundled data set not found from " + Path.of("").toAbsolutePath()
                + "; run from the embtune folder or pass --dataset");
    }
}
