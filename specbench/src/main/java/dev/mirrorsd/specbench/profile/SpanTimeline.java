package dev.mirrorsd.specbench.profile;

import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;

import java.util.Arrays;

/**
 * Every span and commit in order, for a timeline ({@link ChromeTrace}). Each lane keeps its spans
 * in a preallocated primitive buffer that doubles when full, so recording a span allocates nothing
 * until then; commits go to the target's lane.
 *
 * <p>Thread-safety: each lane's buffer is guarded by its own lock, uncontended when each lane
 * records from its own thread, as the decoding loops do.
 */
public final class SpanTimeline implements Profiler {
    /** Spans a lane holds before its buffer first grows. */
    public static final int INITIAL_SPANS = 4096;
    private static final int SPAN_WIDTH = 3;   // phase ordinal, start, end
    private static final int COMMIT_WIDTH = 2; // nanos, count

    private final Buffer[] lanes = new Buffer[Lane.values().length];
    private final Buffer commits = new Buffer(COMMIT_WIDTH);

    public SpanTimeline() {
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new Buffer(SPAN_WIDTH);
        }
    }

    /** A growable array of fixed-width long records. */
    private static final class Buffer {
        private final int width;
        private long[] values;
        private int records;

        Buffer(int width) {
            this.width = width;
            this.values = new long[INITIAL_SPANS * width];
        }

        synchronized void add(long a, long b, long c) {
            if ((records + 1) * width > values.length) {
                values = Arrays.copyOf(values, 2 * values.length);
            }
            int at = records * width;
            values[at] = a;
            values[at + 1] = b;
            if (width > 2) {
                values[at + 2] = c;
            }
            records++;
        }

        synchronized long[] copy() {
            return Arrays.copyOf(values, records * width);
        }

        synchronized int records() {
            return records;
        }
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void span(Lane lane, Phase phase, long startNanos, long endNanos) {
        lanes[lane.ordinal()].add(phase.ordinal(), startNanos, endNanos);
    }

    @Override
    public void tokens(long nanos, int count) {
        commits.add(nanos, count, 0);
    }

    /** A lane's spans so far: (spans, 3) flattened as phase ordinal, start nanos, end nanos. */
    long[] spans(Lane lane) {
        return lanes[lane.ordinal()].copy();
    }

    /** Commits so far: (commits, 2) flattened as nanos, token count. */
    long[] commits() {
        return commits.copy();
    }

    /** Spans recorded on a lane. */
    public int spanCount(Lane lane) {
        return lanes[lane.ordinal()].records();
    }
}
