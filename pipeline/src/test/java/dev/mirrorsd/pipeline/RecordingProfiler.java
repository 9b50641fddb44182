package dev.mirrorsd.pipeline;

import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;

import java.util.ArrayList;
import java.util.List;

/** Keeps every span, in order per lane and phase, for tests to inspect. */
final class RecordingProfiler implements Profiler {
    private final List<Object[]> spans = new ArrayList<>();
    long tokens;

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public synchronized void span(Lane lane, Phase phase, long startNanos, long endNanos) {
        spans.add(new Object[] {lane, phase, new long[] {startNanos, endNanos}});
    }

    @Override
    public synchronized void tokens(long nanos, int count) {
        tokens += count;
    }

    synchronized List<long[]> spans(Lane lane, Phase phase) {
        List<long[]> out = new ArrayList<>();
        for (Object[] span : spans) {
            if (span[0] == lane && span[1] == phase) {
                out.add((long[]) span[2]);
            }
        }
        return out;
    }

    int count(Lane lane, Phase phase) {
        return spans(lane, phase).size();
    }
}
