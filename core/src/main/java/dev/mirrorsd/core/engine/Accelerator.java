package dev.mirrorsd.core.engine;

import java.util.Objects;

/**
 * A device this machine can run a model on, as discovery found it.
 *
 * @param id          engine, backend and index
 * @param description what the engine reports ("libtorch 2.7.1", "CPUExecutionProvider")
 */
public record Accelerator(DeviceId id, String description) {

    public Accelerator {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(description, "description");
    }

    @Override
    public String toString() {
        return id + " (" + description + ")";
    }
}
