package dev.mirrorsd.pipeline.profile;

/**
 * Receives the timings of one generation. The decoding loops call it only when
 * {@link #enabled()}, so that {@link #OFF} costs one predictable branch per phase.
 *
 * <p>Thread-safety: the Mirror pipelines call {@link #span} from the target's and the draft's
 * threads at once (each lane from one thread); {@link #tokens} comes from the target's thread.
 */
public interface Profiler {

    /** Records nothing. */
    Profiler OFF = new Profiler() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public void span(Lane lane, Phase phase, long startNanos, long endNanos) {
        }

        @Override
        public void tokens(long nanos, int count) {
        }
    };

    boolean enabled();

    /** One phase ran on {@code lane} from {@code startNanos} to {@code endNanos} ({@link System#nanoTime()}). */
    void span(Lane lane, Phase phase, long startNanos, long endNanos);

    /** {@code count} tokens were committed at {@code nanos}: the first call gives the time to first token. */
    void tokens(long nanos, int count);
}
