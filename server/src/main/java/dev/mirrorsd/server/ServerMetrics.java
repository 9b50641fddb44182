package dev.mirrorsd.server;

import dev.mirrorsd.pipeline.FinishReason;
import dev.mirrorsd.pipeline.GenerationStats;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * The server's Prometheus metrics under vLLM's names and buckets, so that dashboards built for
 * vLLM read them unchanged. Recorded once per request as it ends (and per token commit for the
 * inter-token latency), never by the decoding loop itself. Every metric carries {@code model_name}.
 *
 * <p>Thread-safety: safe for any number of threads (the Prometheus client's metrics are).
 */
final class ServerMetrics {
    // vLLM's buckets (vllm/v1/metrics/loggers.py), in seconds
    private static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5,
            0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
    private static final double[] ITL_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75,
            1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};
    private static final double[] E2E_BUCKETS = {0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0,
            40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};

    private final String model;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter drafts;
    private final Counter draftTokens;
    private final Counter acceptedTokens;
    private final Counter acceptedPerPosition;
    private final Counter promptTokens;
    private final Counter generationTokens;
    private final Counter success;
    private final Counter refused;
    private final Gauge inFlight;
    private final Histogram timeToFirstToken;
    private final Histogram interTokenLatency;
    private final Histogram timePerOutputToken;
    private final Histogram e2eLatency;

    /**
     * @param liveArrays the target's live native arrays (weights and every open cache); a count that
     *                   returns to its idle value after requests end shows that their caches were freed
     */
    ServerMetrics(String model, IntSupplier liveArrays) {
        this.model = model;
        GaugeWithCallback.builder().name("mirror_sd:native_arrays_live")
                .help("The target's live native arrays: weights and open caches.").labelNames("model_name")
                .callback(cb -> cb.call(liveArrays.getAsInt(), model)).register(registry);
        drafts = counter("vllm:spec_decode_num_drafts", "Verification rounds that checked draft tokens.");
        draftTokens = counter("vllm:spec_decode_num_draft_tokens", "Draft tokens proposed.");
        acceptedTokens = counter("vllm:spec_decode_num_accepted_tokens", "Draft tokens accepted.");
        acceptedPerPosition = Counter.builder().name("vllm:spec_decode_num_accepted_tokens_per_pos")
                .help("Rounds whose draft token at this position (0 = first) was accepted.")
                .labelNames("model_name", "position").register(registry);
        promptTokens = counter("vllm:prompt_tokens", "Prompt tokens processed.");
        generationTokens = counter("vllm:generation_tokens", "Tokens generated.");
        success = Counter.builder().name("vllm:request_success")
                .help("Requests that ended, by finish reason (stop, length, abort).")
                .labelNames("model_name", "finished_reason").register(registry);
        refused = Counter.builder().name("mirror_sd:requests_refused")
                .help("Requests answered with an error before generating, by HTTP status.")
                .labelNames("model_name", "status").register(registry);
        inFlight = Gauge.builder().name("mirror_sd:requests_in_flight")
                .help("Requests admitted or waiting for admission.").labelNames("model_name").register(registry);
        timeToFirstToken = histogram("vllm:time_to_first_token_seconds",
                "Request arrival to its first committed token, queueing included.", TTFT_BUCKETS);
        interTokenLatency = histogram("vllm:inter_token_latency_seconds",
                "Time between successive token commits of a request (one per round when speculating).", ITL_BUCKETS);
        timePerOutputToken = histogram("vllm:request_time_per_output_token_seconds",
                "Per request: (end - first token) / (tokens - 1).", ITL_BUCKETS);
        e2eLatency = histogram("vllm:e2e_request_latency_seconds", "Request arrival to its end.", E2E_BUCKETS);
    }

    private Counter counter(String name, String help) {
        return Counter.builder().name(name).help(help).labelNames("model_name").register(registry);
    }

    private Histogram histogram(String name, String help, double[] buckets) {
        return Histogram.builder().name(name).help(help).classicOnly().classicUpperBounds(buckets)
                .labelNames("model_name").register(registry);
    }

    void requestStarted() {
        inFlight.labelValues(model).inc();
    }

    void requestLeft() {
        inFlight.labelValues(model).dec();
    }

    void interToken(long gapNanos) {
        interTokenLatency.labelValues(model).observe(gapNanos / 1e9);
    }

    /** A request refused with {@code status} before it generated anything. */
    void refused(int status) {
        refused.labelValues(model, Integer.toString(status)).inc();
    }

    /** A request that ran: its statistics and the server's own clock readings. */
    void finished(GenerationStats stats, FinishReason reason, long firstTokenNanos, long e2eNanos) {
        promptTokens.labelValues(model).inc(stats.promptTokens());
        generationTokens.labelValues(model).inc(stats.newTokens());
        if (stats.draftedTokens() > 0) {
            drafts.labelValues(model).inc(Math.max(0, stats.rounds() - 1)); // the prefill's round drafts nothing
            draftTokens.labelValues(model).inc(stats.draftedTokens());
            acceptedTokens.labelValues(model).inc(stats.acceptedTokens());
        }
        long[] byPosition = stats.acceptedByPosition();
        for (int i = 0; i < byPosition.length; i++) {
            if (byPosition[i] > 0) {
                acceptedPerPosition.labelValues(model, Integer.toString(i)).inc(byPosition[i]);
            }
        }
        String finished = reason == FinishReason.CANCELLED ? "abort" : reason.name().toLowerCase(Locale.ROOT);
        success.labelValues(model, finished).inc();
        if (firstTokenNanos > 0) {
            timeToFirstToken.labelValues(model).observe(firstTokenNanos / 1e9);
            if (stats.newTokens() > 1) {
                timePerOutputToken.labelValues(model).observe((e2eNanos - firstTokenNanos) / 1e9 / (stats.newTokens() - 1));
            }
        }
        e2eLatency.labelValues(model).observe(e2eNanos / 1e9);
    }

    /** The Prometheus text exposition format. */
    String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static String contentType() {
        return PrometheusTextFormatWriter.create().getContentType();
    }
}
