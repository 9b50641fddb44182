package dev.mirrorsd.specbench.profile;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A profile's files in one directory: {@code <series>.hgrm} per histogram (HdrHistogram's
 * percentile distribution, values in milliseconds), {@code trace.json} (Chrome trace events),
 * {@code profile.md} and {@code profile.json}.
 */
public final class ProfileReport {
    /** .hgrm values are microseconds divided by this: milliseconds. */
    static final double HGRM_SCALE_TO_MS = 1000.0;

    private ProfileReport() {
    }

    /** Writes every file into {@code directory}, creating it; returns the files' names. */
    public static List<String> write(Path directory, ProfileSettings settings, ProfileRun.Result result) {
        List<String> written = new ArrayList<>();
        try {
            Files.createDirectories(directory);
            for (LatencyProfile.Series s : result.latency().series()) {
                String name = s.fileStem() + ".hgrm";
                try (PrintStream out = new PrintStream(Files.newOutputStream(directory.resolve(name)), false,
                        StandardCharsets.UTF_8)) {
                    s.micros().outputPercentileDistribution(out, HGRM_SCALE_TO_MS);
                }
                written.add(name);
            }
            try (Writer out = Files.newBufferedWriter(directory.resolve("trace.json"), StandardCharsets.UTF_8)) {
                ChromeTrace.write(result.timeline(), "mirror-sd " + settings.strategy(), out);
            }
            written.add("trace.json");
            Files.writeString(directory.resolve("profile.md"), markdown(settings, result), StandardCharsets.UTF_8);
            written.add("profile.md");
            Files.writeString(directory.resolve("profile.json"), json(settings, result), StandardCharsets.UTF_8);
            written.add("profile.json");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the profile to " + directory, e);
        }
        return written;
    }

    public static String markdown(ProfileSettings s, ProfileRun.Result r) {
        StringBuilder md = new StringBuilder();
        md.append("# Profile: ").append(s.model()).append(", ").append(s.strategy()).append("\n\n");
        md.append(String.format(Locale.ROOT, "- %s, %d profiled run(s) each after %d warm-up(s), greedy, max new tokens"
                + " %d, gamma %d%n", s.prompts(), s.runs(), s.warmups(), s.maxNewTokens(), s.gamma()));
        md.append("- machine: ").append(s.machine()).append(String.format(Locale.ROOT,
                "; load average %.2f before, %.2f after%n", r.loadBefore(), r.loadAfter()));
        if (!s.command().isEmpty()) {
            md.append("- command: `").append(s.command()).append("`\n");
        }
        md.append(String.format(Locale.ROOT, "- %d requests, %d tokens, %.2f tokens/s (prefill included),"
                        + " mean accepted tokens %.2f%n", r.requests(), r.tokens(), r.tokensPerSecond(),
                r.meanAcceptedTokens()));
        md.append(String.format(Locale.ROOT, "- verification's share of the rounds: %.3f%% (target verify time over"
                + " the time from each request's first token to its last)%n", 100 * r.latency().verifyShareOfRounds()));
        if (r.overhead() != null) {
            ProfileRun.Overhead o = r.overhead();
            md.append(String.format(Locale.ROOT, "- profiler overhead: %d interleaved pairs, %.2f tokens/s off, %.2f on;"
                            + " median pair on/off %.4f, cost %.2f%%%n", o.pairs(), o.offTokensPerSecond(),
                    o.onTokensPerSecond(), o.medianRatio(), 100 * o.cost()));
        }
        md.append('\n').append(PercentileTable.markdown(r.latency()));
        md.append("\nMilliseconds. Inter-token latency: one value per token after the first; a round that commits k"
                + " tokens gives the gap since the previous commit once and 0 for the other k - 1 (they arrive"
                + " together), so its mean is the time per output token. Share of rounds: a phase's summed time over"
                + " the time from each request's first token to its last. Files: <series>.hgrm (HdrHistogram"
                + " percentile distributions, milliseconds), trace.json (open in ui.perfetto.dev).\n");
        return md.toString();
    }

    public static String json(ProfileSettings s, ProfileRun.Result r) {
        JsonObject settings = new JsonObject();
        settings.addProperty("model", s.model());
        settings.addProperty("strategy", s.strategy());
        settings.addProperty("prompts", s.prompts());
        settings.addProperty("runs", s.runs());
        settings.addProperty("warmups", s.warmups());
        settings.addProperty("max_new_tokens", s.maxNewTokens());
        settings.addProperty("num_assistant_tokens", s.gamma());
        settings.addProperty("machine", s.machine());
        settings.addProperty("command", s.command());
        settings.addProperty("load_average_before", r.loadBefore());
        settings.addProperty("load_average_after", r.loadAfter());
        JsonArray series = new JsonArray();
        for (LatencyProfile.Series x : r.latency().series()) {
            Histogram h = x.micros();
            JsonObject json = new JsonObject();
            json.addProperty("name", x.name());
            json.addProperty("lane", x.lane() == null ? null : LatencyProfile.label(x.lane()));
            json.addProperty("phase", x.phase() == null ? null : x.phase().name());
            json.addProperty("count", h.getTotalCount());
            json.addProperty("mean_ms", h.getMean() / 1000);
            for (double p : PercentileTable.PERCENTILES) {
                json.addProperty("p" + (p == Math.rint(p) ? Integer.toString((int) p) : Double.toString(p)) + "_ms",
                        h.getValueAtPercentile(p) / 1000.0);
            }
            json.addProperty("max_ms", h.getMaxValue() / 1000.0);
            json.addProperty("total_ms", x.totalNanos() / 1e6);
            json.addProperty("file", x.fileStem() + ".hgrm");
            series.add(json);
        }
        JsonObject totals = new JsonObject();
        totals.addProperty("requests", r.requests());
        totals.addProperty("tokens", r.tokens());
        totals.addProperty("wall_time_s", r.wallNanos() / 1e9);
        totals.addProperty("tokens_per_second", r.tokensPerSecond());
        totals.addProperty("mean_accepted_tokens", r.meanAcceptedTokens());
        totals.addProperty("decode_time_s", r.latency().decodeNanos() / 1e9);
        totals.addProperty("verify_share_of_rounds", r.latency().verifyShareOfRounds());
        JsonObject json = new JsonObject();
        json.add("settings", settings);
        json.add("totals", totals);
        json.add("series", series);
        if (r.overhead() != null) {
            JsonObject o = new JsonObject();
            o.addProperty("pairs", r.overhead().pairs());
            o.addProperty("off_tokens_per_second", r.overhead().offTokensPerSecond());
            o.addProperty("on_tokens_per_second", r.overhead().onTokensPerSecond());
            o.addProperty("median_pair_ratio", r.overhead().medianRatio());
            o.addProperty("cost", r.overhead().cost());
            json.add("overhead", o);
        }
        return new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create().toJson(json);
    }
}
