package embtune.engine;

import embtune.Log;
import ai.djl.engine.Engine;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;

/**
 * Which libtorch DJL loads. embtune ships DJL's CPU libtorch jar so a fresh machine needs no
 * download; but DJL prefers any bundled libtorch to a download, so on a GPU machine that jar
 * would pin training to the CPU. Before the engine starts this class decides:
 * <ul>
 * <li>{@code PYTORCH_LIBRARY_PATH} set: DJL loads that libtorch (the offline GPU route: point it
 *     at a PyTorch 2.7.1 CUDA install's {@code torch/lib}); nothing to do here.</li>
 * <li>a GPU is present ({@code /proc/driver/nvidia/version}, not hidden by
 *     {@code CUDA_VISIBLE_DEVICES}) or {@code EMBTUNE_NATIVE=gpu}: the bundled CPU jar is hidden
 *     from DJL, which then fetches the CUDA libtorch matching the driver into ~/.djl.ai once.</li>
 * <li>otherwise, or {@code EMBTUNE_NATIVE=cpu}: the bundled CPU libtorch, offline.</li>
 * </ul>
 */
public final class NativeLibrary {
    static final String NATIVE_PROPERTIES = "native/lib/pytorch.properties";
    private static boolean started;

    private NativeLibrary() {}

    /** Starts DJL's PyTorch engine with the libtorch chosen above; later calls do nothing. */
    public static synchronized Engine start() {
        if (!started) {
            started = true;
            if (hideCpuJar()) {
                Thread t = Thread.currentThread();
                ClassLoader previous = t.getContextClassLoader();
                t.setContextClassLoader(new HidingCpuNative(previous != null ? previous : NativeLibrary.class.getClassLoader()));
                try {
                    Log.info("GPU found; DJL fetches (once) the CUDA libtorch instead of the bundled CPU one."
                            + " Offline: set PYTORCH_LIBRARY_PATH to a PyTorch 2.7.1 CUDA torch/lib, or EMBTUNE_NATIVE=cpu.");
                    return Engine.getEngine("PyTorch");
                } finally {
                    t.setContextClassLoader(previous);
                }
            }
        }
        return Engine.getInstance();
    }

    static boolean hideCpuJar() {
        if (env("PYTORCH_LIBRARY_PATH") != null) return false;
        String mode = env("EMBTUNE_NATIVE");
        mode = mode == null ? "auto" : mode.toLowerCase(Locale.ROOT);
        return switch (mode) {
            case "cpu" -> false;
            case "gpu", "cuda" -> true;
            default -> gpuPresent();
        };
    }

    /** An NVIDIA driver is loaded and CUDA_VISIBLE_DEVICES does not hide every device. */
    public static boolean gpuPresent() {
        String visible = System.getenv("CUDA_VISIBLE_DEVICES");
        if (visible != null && (visible.isBlank() || visible.trim().equals("-1"))) return false;
        return Files.exists(Path.of("/proc/driver/nvidia/version"));
    }

    private static String env(String name) {
        String v = System.getProperty(name, System.getenv(name));
        return v == null || v.isBlank() ? null : v;
    }

    /** A class loader that does not show DJL the CPU libtorch jar's marker file; everything else passes. */
    static final class HidingCpuNative extends ClassLoader {
        HidingCpuNative(ClassLoader parent) {
            super(parent);
        }

        @Override
        public Enumeration<URL> getResources(String name) throws IOException {
            Enumeration<URL> all = super.getResources(name);
            if (!name.equals(NATIVE_PROPERTIES)) return all;
            List<URL> kept = new ArrayList<>();
            for (URL u : Collections.list(all)) if (!u.toString().contains("pytorch-native-cpu")) kept.add(u);
            return Collections.enumeration(kept);
        }

        @Override
        public URL getResource(String name) {
            if (!name.equals(NATIVE_PROPERTIES)) return super.getResource(name);
            try {
                Enumeration<URL> e = getResources(name);
                return e.hasMoreElements() ? e.nextElement() : null;
            } catch (IOException ex) {
                return null;
            }
        }
    }
}
