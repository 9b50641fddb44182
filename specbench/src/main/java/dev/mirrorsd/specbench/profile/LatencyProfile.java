package dev.mirrorsd.specbench.profile;

import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a {@link LatencyRecorder} holds at one moment: one histogram per series, in microseconds.
 *
 * @param series      time to first token, inter-token latency, then each (lane, phase) that ran
 * @param requests    generations seen (prefill spans)
 * @param tokens      committed tokens
 * @param decodeNanos summed time between each request's first and last commit: all its rounds
 */
public record LatencyProfile(List<Series> series, long requests, long tokens, long decodeNanos) {

    public LatencyProfile {
        series = List.copyOf(series);
    }

    /**
     * One histogram.
     *
     * @param name       e.g. "target: verify"
     * @param fileStem   e.g. "target.verify", for its .hgrm file
     * @param lane       the lane of a phase, null for the request-level series
     * @param phase      the phase, null for the request-level series
     * @param micros     the values, microseconds
     * @param totalNanos exact sum of a phase's spans; 0 for the request-level series
     */
    public record Series(String name, String fileStem, Lane lane, Phase phase, Histogram micros, long totalNanos) {
    }

    public Optional<Series> phase(Lane lane, Phase phase) {
        return series.stream().filter(s -> s.lane() == lane && s.phase() == phase).findFirst();
    }

    /**
     * Verification's share of the rounds: summed {@link Phase#VERIFY} time on the target's lane over
     * {@link #decodeNanos} (every round after the first token, end to end); 0 without rounds.
     */
    public double verifyShareOfRounds() {
        long verify = phase(Lane.TARGET, Phase.VERIFY).map(Series::totalNanos).orElse(0L);
        return decodeNanos == 0 ? 0 : (double) verify / decodeNanos;
    }

    /** Summed time of one phase over {@link #decodeNanos}; 0 if it never ran. */
    public double shareOfRounds(Lane lane, Phase phase) {
        long nanos = phase(lane, phase).map(Series::totalNanos).orElse(0L);
        return decodeNanos == 0 ? 0 : (double) nanos / decodeNanos;
    }

    static String label(Lane lane) {
        return lane.name().toLowerCase(Locale.ROOT);
    }

    /** "target forward", "branch rollout": how a phase is named in tables and on the timeline. */
    static String label(Phase phase) {
        return phase.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
