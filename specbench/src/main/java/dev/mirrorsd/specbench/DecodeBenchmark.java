package dev.mirrorsd.specbench;

import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.pipeline.Cancellation;
import dev.mirrorsd.pipeline.GenerationConfig;
import dev.mirrorsd.pipeline.GenerationResult;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.MirrorStats;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Decode speed of one generator on a set of prompts: tokens/s, tau, and the per-token latency
 * distribution (HdrHistogram, microseconds). Tokens of a speculative round arrive together; each
 * is charged an equal share of the round's latency.
 */
public final class DecodeBenchmark {
    private DecodeBenchmark() {
    }

    /**
     * @param tokensPerSecond  generated tokens over the summed wall time, prefill included
     * @param decodeTokensPerSecond tokens after the first over the time after the first token
     * @param tau              mean accepted length over all rounds
     * @param latencyMicros    per-token latency after the first token
     * @param mirror           Mirror-SD's counters summed over the prompts, or null for other strategies
     */
    public record Result(String strategy, int gamma, int prompts, long tokens, double tokensPerSecond,
                         double decodeTokensPerSecond, double tau, double acceptanceRate, Histogram latencyMicros,
                         MirrorStats mirror) {
    }

    /** Runs every prompt once after {@code warmups} unmeasured runs of the first. */
    public static Result run(Generator generator, List<List<ChatMessage>> prompts, GenerationConfig config, int warmups,
                             PrintStream progress) {
        for (int i = 0; i < warmups; i++) {
            generator.generate(prompts.get(0), config, (ids, text) -> { }, new Cancellation());
        }
        Histogram latency = new Histogram(60_000_000L, 3);
        long tokens = 0;
        long wallNanos = 0;
        long decodeTokens = 0;
        long decodeNanos = 0;
        long rounds = 0;
        long accepted = 0;
        long drafted = 0;
        MirrorStats mirror = null;
        int done = 0;
        for (List<ChatMessage> prompt : prompts) {
            long[] last = {0};
            GenerationResult result = generator.generate(prompt, config, (ids, text) -> {
                long now = System.nanoTime();
                if (last[0] != 0 && ids.length > 0) {
                    long share = (now - last[0]) / 1000 / ids.length;
                    latency.recordValueWithCount(Math.max(1, share), ids.length);
                }
                last[0] = now;
            }, new Cancellation());
            tokens += result.stats().newTokens();
            wallNanos += result.stats().wallTimeNanos();
            decodeTokens += result.stats().newTokens() - 1;
            decodeNanos += result.stats().wallTimeNanos() - result.stats().timeToFirstTokenNanos();
            rounds += result.stats().rounds();
            accepted += result.stats().acceptedTokens();
            drafted += result.stats().draftedTokens();
            mirror = plus(mirror, result.stats().mirror());
            done++;
            if (progress != null) {
                progress.printf(Locale.ROOT, "\r%s gamma %d: %d/%d prompts", generator.strategy(),
                        config.numAssistantTokens(), done, prompts.size());
            }
        }
        if (progress != null) {
            progress.println();
        }
        return new Result(generator.strategy(), config.numAssistantTokens(), prompts.size(), tokens,
                tokens * 1e9 / wallNanos, decodeTokens * 1e9 / Math.max(1, decodeNanos),
                rounds == 0 ? 0 : (double) (accepted + rounds) / rounds,
                drafted == 0 ? 0 : (double) accepted / drafted, latency, mirror);
    }

    private static MirrorStats plus(MirrorStats a, MirrorStats b) {
        if (a == null || b == null) {
            return a == null ? b : a;
        }
        return new MirrorStats(a.rounds() + b.rounds(), a.hits() + b.hits(), a.rolloutNanos() + b.rolloutNanos(),
                a.hiddenRolloutNanos() + b.hiddenRolloutNanos(), a.proposalWaitNanos() + b.proposalWaitNanos());
    }

    /** The floor a memory-bound decoder cannot beat: weight bytes per token over read bandwidth. */
    public static String floorReport(ModelConfig config, double bandwidthBytesPerSecond) {
        long bytes = WeightTraffic.bytesPerToken(config, 4);
        double floorTokensPerSecond = bandwidthBytesPerSecond / bytes;
        return String.format(Locale.ROOT, "weights read per token: %.1f MB (fp32); measured read bandwidth: %.1f GB/s;"
                        + " floor: %.1f tokens/s (%.1f ms/token)",
                bytes / 1e6, bandwidthBytesPerSecond / 1e9, floorTokensPerSecond, 1000 / floorTokensPerSecond);
    }

    public static String tableHeader() {
        return "| strategy | gamma | prompts | tokens | tokens/s | decode tokens/s | tau | acceptance | hit rate | overlap"
                + " | p50 ms/token | p90 | p99 | max |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|";
    }

    public static String tableRow(Result r) {
        Histogram h = r.latencyMicros();
        String hitRate = r.mirror() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.mirror().hitRate());
        String overlap = r.mirror() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.mirror().overlapFraction());
        return String.format(Locale.ROOT, "| %s | %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %s | %s | %.1f | %.1f | %.1f | %.1f |",
                r.strategy(), r.strategy().equals("autoregressive") ? "-" : Integer.toString(r.gamma()), r.prompts(),
                r.tokens(), r.tokensPerSecond(), r.decodeTokensPerSecond(), r.tau(), r.acceptanceRate(), hitRate, overlap,
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0);
    }
}
