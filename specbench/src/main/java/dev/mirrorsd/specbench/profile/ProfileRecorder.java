package dev.mirrorsd.specbench.profile;

import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;

/**
 * What {@code mirror-sd profile} records: the latency histograms and, optionally, the timeline.
 * Thread-safety: as {@link LatencyRecorder}.
 */
public final class ProfileRecorder implements Profiler {
    private final LatencyRecorder latency = new LatencyRecorder();
    private final SpanTimeline timeline; // null: no timeline

    private ProfileRecorder(SpanTimeline timeline) {
        this.timeline = timeline;
    }

    /** Histograms and a timeline of every span. */
    public static ProfileRecorder withTimeline() {
        return new ProfileRecorder(new SpanTimeline());
    }

    /** Histograms only: memory stays constant however long it runs. */
    public static ProfileRecorder histogramsOnly() {
        return new ProfileRecorder(null);
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void span(Lane lane, Phase phase, long startNanos, long endNanos) {
        latency.span(lane, phase, startNanos, endNanos);
        if (timeline != null) {
            timeline.span(lane, phase, startNanos, endNanos);
        }
    }

    @Override
    public void tokens(long nanos, int count) {
        latency.tokens(nanos, count);
        if (timeline != null) {
            timeline.tokens(nanos, count);
        }
    }

    public LatencyRecorder latency() {
        return latency;
    }

    /** The timeline, or null when recording histograms only. */
    public SpanTimeline timeline() {
        return timeline;
    }
}
