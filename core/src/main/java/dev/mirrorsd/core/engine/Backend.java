package dev.mirrorsd.core.engine;

import java.util.Locale;
import java.util.Objects;

/**
 * One way to run a model: an engine and the kind of device it drives there. A plan spells it
 * {@code engine:device[index]}. Each engine lists its own ({@link EngineProvider#backends()}), so
 * nothing outside the engine names them.
 *
 * @param engine  the engine's name in plans ("pytorch", "onnxruntime", "aoti")
 * @param device  the device part of a plan entry without its index ("cpu", "gpu", "cuda", "qnn")
 * @param kind    the hardware it computes on
 * @param indexed whether several devices of this backend are told apart by an index (gpu0, gpu1)
 */
public record Backend(String engine, String device, DeviceKind kind, boolean indexed) {

    public Backend {
        Objects.requireNonNull(kind, "kind");
        if (!engine.equals(engine.toLowerCase(Locale.ROOT)) || !device.equals(device.toLowerCase(Locale.ROOT))
                || engine.isEmpty() || device.isEmpty() || engine.contains(":")) {
            throw new IllegalArgumentException("engine and device names are non-empty lower case, got "
                    + engine + ":" + device);
        }
    }

    /** "pytorch:gpuN", "onnxruntime:cpu": how a plan writes it, N standing for the index. */
    public String spelling() {
        return engine + ":" + device + (indexed ? "N" : "");
    }
}
