package dev.mirrorsd.mapping;

import java.util.Locale;

/** The two pipelines of Mirror-SD, each placed on its own device. */
public enum PipelineRole {
    /** The large model: verifies, and sends the early-exit message at layer l_e. */
    TARGET,
    /** The small model: rolls out branches while the target finishes its layers. */
    DRAFT;

    /** The key used in plans ("target", "draft"). */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
