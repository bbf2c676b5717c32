package embtune.cli;

import java.util.Map;

/** Run by RelaunchTest in a child JVM: restarts itself once with PROBE=yes, then reports what it sees. */
public final class RelaunchProbe {
    public static void main(String[] args) {
        if (System.getenv("PROBE") == null) {
            Relaunch.withEnvironment(Map.of("PROBE", "yes"), RelaunchProbe.class, args);
            return;
        }
        System.out.println("PROBE=" + System.getenv("PROBE") + " child=" + Relaunch.isChild() + " args=" + String.join(",", args));
        System.exit(3);
    }
}
