package dev.mirrorsd.specbench.profile;

import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latency histograms of generations (HdrHistogram, microseconds, 3 significant digits): time to
 * first token, inter-token latency, and every (lane, phase). All recorders exist from the start, so
 * recording allocates nothing; values above one hour are clamped to it.
 *
 * <p>Time to first token: from the start of the request's {@link Phase#PREFILL} span (the generator
 * opens it when the request starts) to its first commit. Inter-token latency, one value per
 * committed token after the first: a commit of k tokens records the gap since the previous commit
 * once and 0 for the other k - 1 tokens, because a streaming reader receives them together. The
 * mean is then exactly the time per output token (TPOT), and the non-zero values are the gaps
 * between streamed chunks (what vLLM's serving benchmark calls ITL, one value per chunk).
 *
 * <p>Thread-safety: {@link #span} may be called from any threads at once (the lanes of a Mirror
 * pipeline); the prefill span and {@link #tokens} must come from one request at a time, as the
 * target's thread of sequential generations calls them. {@link #snapshot} may run at any time.
 */
public final class LatencyRecorder implements Profiler {
    /** Values are clamped to this: one hour, in microseconds. */
    static final long HIGHEST_MICROS = TimeUnit.HOURS.toMicros(1);
    private static final int DIGITS = 3;
    private static final Lane[] LANES = Lane.values();
    private static final Phase[] PHASES = Phase.values();

    private final Recorder timeToFirstToken = newRecorder();
    private final Recorder interToken = newRecorder();
    private final Recorder[] phases = new Recorder[LANES.length * PHASES.length]; // (lane, phase)
    private final AtomicLongArray phaseNanos = new AtomicLongArray(LANES.length * PHASES.length); // exact sums
    // the running request, written by the target's thread only
    private long requestStartNanos;
    private long lastCommitNanos;
    private boolean committed;      // the request has its first token
    private long requests;
    private long tokens;
    private long decodeNanos; // summed gaps between commits: every round's time after the first token

    // what snapshot() has drained so far, guarded by this
    private final Histogram totalTimeToFirstToken = newHistogram();
    private final Histogram totalInterToken = newHistogram();
    private final Histogram[] totalPhases = new Histogram[phases.length];

    public LatencyRecorder() {
        for (int i = 0; i < phases.length; i++) {
            phases[i] = newRecorder();
            totalPhases[i] = newHistogram();
        }
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public void span(Lane lane, Phase phase, long startNanos, long endNanos) {
        int index = index(lane, phase);
        long nanos = Math.max(0, endNanos - startNanos);
        phases[index].recordValue(micros(nanos));
        phaseNanos.addAndGet(index, nanos);
        if (phase == Phase.PREFILL) {
            requestStartNanos = startNanos;
            committed = false;
            requests++;
        }
    }

    @Override
    public void tokens(long nanos, int count) {
        if (count <= 0) {
            return;
        }
        if (!committed) {
            timeToFirstToken.recordValue(micros(nanos - requestStartNanos));
            committed = true;
        } else {
            interToken.recordValue(micros(nanos - lastCommitNanos));
            decodeNanos += nanos - lastCommitNanos;
        }
        if (count > 1) {
            // the other tokens of the commit arrive with its first one
            interToken.recordValueWithCount(0, count - 1);
        }
        lastCommitNanos = nanos;
        tokens += count;
    }

    /** Everything recorded so far, as copies; read it after the generations it should cover have returned. */
    public synchronized LatencyProfile snapshot() {
        totalTimeToFirstToken.add(timeToFirstToken.getIntervalHistogram());
        totalInterToken.add(interToken.getIntervalHistogram());
        List<LatencyProfile.Series> series = new ArrayList<>();
        series.add(new LatencyProfile.Series("time to first token", "ttft", null, null,
                totalTimeToFirstToken.copy(), 0));
        series.add(new LatencyProfile.Series("inter-token latency", "itl", null, null, totalInterToken.copy(), 0));
        for (Lane lane : LANES) {
            for (Phase phase : PHASES) {
                int index = index(lane, phase);
                totalPhases[index].add(phases[index].getIntervalHistogram());
                if (totalPhases[index].getTotalCount() > 0) {
                    series.add(new LatencyProfile.Series(LatencyProfile.label(lane) + ": " + LatencyProfile.label(phase),
                            LatencyProfile.label(lane) + "." + phase.name().toLowerCase(java.util.Locale.ROOT),
                            lane, phase, totalPhases[index].copy(), phaseNanos.get(index)));
                }
            }
        }
        return new LatencyProfile(series, requests, tokens, decodeNanos);
    }

    private static int index(Lane lane, Phase phase) {
        return lane.ordinal() * PHASES.length + phase.ordinal();
    }

    private static long micros(long nanos) {
        return Math.min(HIGHEST_MICROS, Math.max(0, nanos / 1000));
    }

    private static Recorder newRecorder() {
        return new Recorder(1, HIGHEST_MICROS, DIGITS);
    }

    private static Histogram newHistogram() {
        return new Histogram(1, HIGHEST_MICROS, DIGITS);
    }
}
