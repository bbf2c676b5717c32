package embtune.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Device choice: a GPU when the engine sees one, else the CPU; {@code --device cpu|gpu|gpu:1} overrides. */
public final class Devices {
    private Devices() {}

    public static Device pick(String name) {
        NativeLibrary.start(); // before anything else touches the engine: which libtorch (CPU jar or CUDA) loads
        if (name == null || name.isBlank() || name.equals("auto")) return Engine.getInstance().defaultDevice();
        Device d;
        try {
            d = Device.fromName(name.replace("cuda", "gpu"));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("unknown device '" + name + "'; use auto, cpu, gpu or gpu:N");
        }
        if (d.isGpu() && d.getDeviceId() >= Engine.getInstance().getGpuCount())
            throw new IllegalArgumentException("device " + name + " requested but the engine sees "
                    + Engine.getInstance().getGpuCount() + " GPUs");
        if (d.isGpu()) {
            try (ai.djl.ndarray.NDManager probe = ai.djl.ndarray.NDManager.newBaseManager(d)) {
                probe.create(0f);
            } catch (ai.djl.engine.EngineException e) {
                throw new IllegalArgumentException("device " + name + " requested but the loaded libtorch cannot use it (" + e.getMessage()
                        + "); on a GPU machine let DJL fetch the CUDA libtorch or set PYTORCH_LIBRARY_PATH (README: GPU)");
            }
        }
        return d;
    }
}
