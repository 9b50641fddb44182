package dev.mirrorsd.specbench.profile;

import org.HdrHistogram.Histogram;

import java.util.Locale;

/**
 * The latency table: one row per series, milliseconds, percentiles as HdrHistogram reports them
 * (to 3 significant digits), count, mean, and for phases their summed time's share of the rounds.
 * Markdown, which reads as a plain table in a terminal too.
 */
public final class PercentileTable {
    /** The percentiles of every row, in order. */
    public static final double[] PERCENTILES = {50, 90, 99, 99.9};

    private PercentileTable() {
    }

    public static String markdown(LatencyProfile profile) {
        StringBuilder md = new StringBuilder();
        md.append("| series | count | mean ms | p50 | p90 | p99 | p99.9 | max | share of rounds |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        for (LatencyProfile.Series s : profile.series()) {
            Histogram h = s.micros();
            md.append(String.format(Locale.ROOT, "| %s | %d | %s |", s.name(), h.getTotalCount(), ms(h.getMean())));
            for (double p : PERCENTILES) {
                md.append(' ').append(ms(h.getValueAtPercentile(p))).append(" |");
            }
            md.append(' ').append(ms(h.getMaxValue())).append(" | ").append(share(profile, s)).append(" |\n");
        }
        return md.toString();
    }

    /** A phase's summed time over the rounds' time, "-" for the request-level series and the prefill (before any round). */
    static String share(LatencyProfile profile, LatencyProfile.Series s) {
        if (s.phase() == null || s.phase() == dev.mirrorsd.pipeline.profile.Phase.PREFILL || profile.decodeNanos() == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f%%", 100.0 * profile.shareOfRounds(s.lane(), s.phase()));
    }

    /** Microseconds as milliseconds; 0 values stay "0" (empty histograms report 0). */
    static String ms(double micros) {
        return String.format(Locale.ROOT, "%.3f", micros / 1000.0);
    }
}
