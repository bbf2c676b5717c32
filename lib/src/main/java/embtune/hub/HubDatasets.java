package embtune.hub;

import embtune.Log;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code --dataset org/name[@revision][:subset]} as ms-swift takes it: the data files of a hub data
 * set repository (jsonl, json, csv, tsv, parquet), cached or downloaded, narrowed to the train
 * split (ms-swift's default split). A subset that names a folder of the repository (e.g.
 * {@code pair-score/}) picks that folder; any other subset ({@code positive}) is a row filter the
 * data layer applies.
 */
public final class HubDatasets {
    static final List<String> DATA_FILES = List.of("*.jsonl", "*.json", "*.csv", "*.tsv", "*.parquet");
    static final Set<String> NOT_DATA = Set.of("dataset_infos.json", "dataset_info.json", "dataset_dict.json", "state.json", "config.json");
    static final Set<String> SPLITS = Set.of("train", "test", "validation", "valid", "val", "dev");

    private HubDatasets() {}

    /** The chosen files, and whether the subset was used up as a folder name. */
    public record Files(List<Path> files, boolean subsetWasFolder) {}

    /** Shaped like a hub id: org/name with an optional @revision (the caller knows it is no local file). */
    public static boolean looksLikeId(String spec) {
        return spec.matches("[A-Za-z0-9][\\w.-]*/[\\w.-]+(@[\\w./-]+)?");
    }

    public static Files resolve(String id, String subset, Hub hub) {
        String repo = id, revision = hub.defaultRevision();
        int at = id.lastIndexOf('@');
        if (at > 0) {
            repo = id.substring(0, at);
            revision = id.substring(at + 1);
        }
        Path cached = hub.cached(Hub.RepoType.DATASET, repo, revision);
        if (cached == null) Log.info("downloading data set " + repo + "@" + revision + " into " + hub.cache());
        Path dir = cached != null ? cached : hub.download(Hub.RepoType.DATASET, repo, revision, DATA_FILES, null);
        List<Path> all = dataFiles(dir);
        if (all.isEmpty()) throw new HubError(repo + ": no data files (" + String.join(", ", DATA_FILES) + ") in the repository");
        boolean folder = false;
        if (subset != null && java.nio.file.Files.isDirectory(dir.resolve(subset))) {
            Path sub = dir.resolve(subset);
            all = all.stream().filter(p -> p.startsWith(sub)).toList();
            folder = true;
        }
        List<Path> train = all.stream().filter(p -> tokens(dir.relativize(p)).contains("train")).toList();
        if (!train.isEmpty()) return new Files(train, folder);
        boolean anySplit = all.stream().anyMatch(p -> tokens(dir.relativize(p)).stream().anyMatch(SPLITS::contains));
        if (anySplit)
            throw new HubError(repo + ": no train split among " + all.stream().map(p -> dir.relativize(p).toString()).toList()
                    + "; give the file you want as a local path");
        return new Files(all, folder);
    }

    private static List<Path> dataFiles(Path dir) {
        try (Stream<Path> walk = java.nio.file.Files.walk(dir)) {
            return walk.filter(p -> !java.nio.file.Files.isDirectory(p))
                    .filter(p -> dir.relativize(p).toString().chars().noneMatch(c -> c == '\\'))
                    .filter(p -> !dir.relativize(p).toString().startsWith("."))
                    .filter(p -> {
                        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                        return !NOT_DATA.contains(n) && DATA_FILES.stream().anyMatch(g -> n.endsWith(g.substring(1)));
                    })
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lower-case alphanumeric words of a relative path: data/train-00000-of-00001.parquet -> data, train, 00000, ... */
    static List<String> tokens(Path rel) {
        return new ArrayList<>(Arrays.asList(rel.toString().toLowerCase(Locale.ROOT).split("[^a-z0-9]+")));
    }
}
