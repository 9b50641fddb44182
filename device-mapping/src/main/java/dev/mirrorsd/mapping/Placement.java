package dev.mirrorsd.mapping;

import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;

import java.util.Objects;

/**
 * Where one pipeline runs and how many threads its engine may use inside one operator.
 *
 * @param role           which pipeline
 * @param device         engine and device
 * @param intraOpThreads intra-op thread budget; 0 = not chosen yet (the engine's default, one per
 *                       processor, until {@link DevicePlan#withDefaultThreads} picks one)
 */
public record Placement(PipelineRole role, DeviceId device, int intraOpThreads) {

    public Placement {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(device, "device");
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("threads." + role.key() + " must be >= 0 (0 = default), got " + intraOpThreads);
        }
    }

    public Placement withThreads(int threads) {
        return new Placement(role, device, threads);
    }

    /** Loads {@code source} where this placement says, with its thread budget. */
    public CausalLM load(ModelSource source) {
        return Engines.load(source, device, intraOpThreads);
    }

    /** Threads this placement may keep busy on {@code logicalProcessors}. */
    int effectiveThreads(int logicalProcessors) {
        return intraOpThreads == 0 ? logicalProcessors : intraOpThreads;
    }

    @Override
    public String toString() {
        return role.key() + "=" + device + " (" + (intraOpThreads == 0 ? "default" : Integer.toString(intraOpThreads))
                + " intra-op thread" + (intraOpThreads == 1 ? "" : "s") + ")";
    }
}
