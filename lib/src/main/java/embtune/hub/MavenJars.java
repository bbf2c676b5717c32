package embtune.hub;

import embtune.Log;
import embtune.ModelError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A jar from Maven Central: from the local repository, or fetched into it once by Maven. */
public final class MavenJars {
    private MavenJars() {}

    public static Path localRepository() {
        String prop = System.getProperty("maven.repo.local");
        return prop != null ? Path.of(prop) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    public static Path locate(String group, String artifact, String version) {
        Path jar = localRepository().resolve(group.replace('.', '/')).resolve(artifact).resolve(version)
                .resolve(artifact + "-" + version + ".jar");
        if (Files.exists(jar)) return jar;
        String coords = group + ":" + artifact + ":" + version;
        Log.info("fetching " + coords + " from Maven Central (once)");
        try {
            Process p = new ProcessBuilder("mvn", "-q", "-B", "dependency:get", "-Dartifact=" + coords, "-Dtransitive=false")
                    .inheritIO().start();
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0)
                throw new ModelError("mvn dependency:get " + coords + " failed (exit " + p.exitValue() + ")");
        } catch (IOException e) {
            throw new ModelError("cannot run mvn to fetch " + coords + " (is Maven on PATH?); or pass --model DIR", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelError("interrupted while fetching " + coords);
        }
        if (!Files.exists(jar)) throw new ModelError("mvn reported success but " + jar + " is missing");
        return jar;
    }
}
