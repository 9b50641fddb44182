package dev.mirrorsd.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.mirrorsd.pipeline.Generator;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An OpenAI-compatible HTTP server over one {@link Generator}: {@code POST /v1/chat/completions},
 * {@code POST /v1/completions}, {@code GET /v1/models}, {@code GET /health} and {@code GET /metrics}.
 *
 * <p>Threads: Helidon reads and writes HTTP on virtual threads; each request decodes on a platform
 * thread of its own ({@link RequestRun}) under the generator's admission (at most
 * {@code maxConcurrent} decoding, {@code maxQueued} waiting in arrival order, the next answered 429).
 * The API key, when set, guards {@code /v1/*}; {@code /health} and {@code /metrics} stay open to
 * probes and scrapers, as vLLM's do.
 *
 * <p>Closing the server stops listening and cancels nothing: running requests finish first. The
 * generator stays the caller's to close.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAiServer.class);
    /** Bodies above this are refused (413) before they are read: a long prompt is a few hundred kB. */
    private static final long MAX_BODY_BYTES = 16L << 20;

    private final WebServer server;
    private final ExecutorService requests;
    private final ServerMetrics metrics;
    private boolean closed; // guarded by this

    private OpenAiServer(WebServer server, ExecutorService requests, ServerMetrics metrics) {
        this.server = server;
        this.requests = requests;
        this.metrics = metrics;
    }

    /** Starts serving {@code generator} as {@code options} say; returns once the port is bound. */
    public static OpenAiServer start(Generator generator, ServerOptions options) {
        Generator admitted = generator.withAdmission(options.maxConcurrent(), options.maxQueued());
        ServerMetrics metrics = new ServerMetrics(options.modelName(), generator.target()::liveArrays);
        ExecutorService requests = Executors.newThreadPerTaskExecutor(
                Thread.ofPlatform().name("mirror-sd-request-", 0).daemon().factory());
        CompletionEndpoint completions = new CompletionEndpoint(admitted, options.modelName(), metrics, requests);
        ApiKey key = ApiKey.of(options.apiKey());
        long created = System.currentTimeMillis() / 1000;
        int context = generator.target().config().maxPositions();
        WebServer server = WebServer.builder()
                .host(options.host())
                .port(options.port())
                .maxPayloadSize(MAX_BODY_BYTES)
                // without it Nagle's algorithm holds the first small chunk, written right after the
                // headers, until the client's delayed ACK: up to 40 ms more time to first token
                .connectionOptions(socket -> socket.tcpNoDelay(true))
                .shutdownHook(false)
                .routing(routing -> routes(routing, completions, metrics, key, options.modelName(), created, context))
                .build()
                .start();
        LOG.info("serving {} ({}) on http://{}:{}", options.modelName(), generator.strategy(), options.host(),
                server.port());
        return new OpenAiServer(server, requests, metrics);
    }

    private static void routes(HttpRouting.Builder routing, CompletionEndpoint completions, ServerMetrics metrics,
                               ApiKey key, String model, long created, int context) {
        routing.addFilter((chain, req, res) -> {
            if (req.path().path().startsWith("/v1/")
                    && !key.admits(req.headers().first(HeaderNames.AUTHORIZATION).orElse(null))) {
                metrics.refused(401);
                CompletionEndpoint.sendJson(res, 401, ApiError.unauthorized().json());
                return;
            }
            chain.proceed();
        });
        routing.error(ApiError.class, (req, res, e) -> {
            metrics.refused(e.status());
            CompletionEndpoint.sendJson(res, e.status(), e.json());
        });
        routing.post("/v1/chat/completions", completions::chat)
                .post("/v1/completions", completions::text)
                .get("/v1/models", (req, res) -> CompletionEndpoint.sendJson(res, 200, models(model, created, context)))
                .get("/health", (req, res) -> res.send("ok"))
                .get("/metrics", (req, res) -> metricsPage(res, metrics));
    }

    private static JsonObject models(String model, long created, int context) {
        JsonObject card = new JsonObject();
        card.addProperty("id", model);
        card.addProperty("object", "model");
        card.addProperty("created", created);
        card.addProperty("owned_by", "mirror-sd");
        card.addProperty("max_model_len", context);
        JsonArray data = new JsonArray();
        data.add(card);
        JsonObject list = new JsonObject();
        list.addProperty("object", "list");
        list.add("data", data);
        return list;
    }

    private static void metricsPage(ServerResponse res, ServerMetrics metrics) {
        res.header(HeaderNames.CONTENT_TYPE, ServerMetrics.contentType());
        res.send(metrics.scrape().getBytes(StandardCharsets.UTF_8));
    }

    /** The bound port: the one asked for, or the free one picked for port 0. */
    public int port() {
        return server.port();
    }

    /** The metrics page's text, as {@code GET /metrics} answers it. */
    String scrapeMetrics() {
        return metrics.scrape();
    }

    /** Blocks until the server stops (another thread's {@link #close()}, or the JVM's shutdown). */
    public void awaitTermination() throws InterruptedException {
        while (server.isRunning()) {
            Thread.sleep(500);
        }
    }

    /**
     * Stops listening and waits (up to 30 s) for running requests to end. Idempotent, and a second
     * caller waits for the first: a shutdown hook and the owner of the generator may both call it,
     * and the generator must not be closed under a running request.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop();
        requests.shutdown();
        try {
            if (!requests.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("requests still running 30 s after the server stopped");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
