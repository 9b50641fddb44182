package dev.mirrorsd.server;

import com.google.gson.JsonObject;
import dev.mirrorsd.pipeline.GenerationConfig;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.RejectedRequestException;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: checks the request, runs it
 * as a {@link RequestRun} and answers with one object or, with {@code stream: true}, with
 * server-sent events ending {@code data: [DONE]}. The response's status is chosen only once the
 * request's first event arrives, so a full queue (429) or a refused prompt (400) is answered as
 * such even to a streaming client.
 */
final class CompletionEndpoint {
    private static final Logger LOG = LoggerFactory.getLogger(CompletionEndpoint.class);
    private static final String RETRY_AFTER_SECONDS = "1";
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

    private final Generator generator;
    private final String modelName;
    private final ServerMetrics metrics;
    private final ExecutorService requests;
    private final SecureRandom seeds = new SecureRandom();

    CompletionEndpoint(Generator generator, String modelName, ServerMetrics metrics, ExecutorService requests) {
        this.generator = generator;
        this.modelName = modelName;
        this.metrics = metrics;
        this.requests = requests;
    }

    void chat(ServerRequest req, ServerResponse res) throws InterruptedException, IOException {
        long arrival = System.nanoTime();
        serve(CompletionRequest.parse(req.content().as(String.class), true), arrival, res);
    }

    void text(ServerRequest req, ServerResponse res) throws InterruptedException, IOException {
        long arrival = System.nanoTime();
        serve(CompletionRequest.parse(req.content().as(String.class), false), arrival, res);
    }

    private void serve(CompletionRequest request, long arrival, ServerResponse res)
            throws InterruptedException, IOException {
        if (request.model() != null && !request.model().equals(modelName)) {
            throw ApiError.unknownModel(request.model());
        }
        int[] prompt = promptIds(request);
        GenerationConfig config = request.config(maxNewTokens(request, prompt.length), seeds.nextLong());
        RequestRun run = new RequestRun(generator, prompt, config, metrics, arrival);
        requests.execute(run);
        boolean ended = false;
        try {
            RequestRun.Event first = run.next();
            if (first instanceof RequestRun.Failed failed) {
                ended = true;
                throw asApiError(failed.error());
            }
            String prefix = request.chat() ? "chatcmpl-" : "cmpl-";
            OpenAiJson json = new OpenAiJson(prefix + HexFormat.of().formatHex(seeds.generateSeed(12)),
                    System.currentTimeMillis() / 1000, modelName, request.chat());
            if (request.stream()) {
                stream(run, first, json, request.includeUsage(), res);
            } else {
                RequestRun.Event event = first;
                while (!(event instanceof RequestRun.Done) && !(event instanceof RequestRun.Failed)) {
                    event = run.next();
                }
                if (event instanceof RequestRun.Failed failed) {
                    ended = true;
                    throw asApiError(failed.error());
                }
                sendJson(res, 200, json.completion(((RequestRun.Done) event).result(), generator.strategy()));
            }
            ended = true;
        } finally {
            // whatever stopped this handler early (the client gone, whichever exception the server
            // reports that with, an interrupt), the request must not decode on for nobody
            if (!ended) {
                LOG.debug("handler left before its request ended; cancelling it");
                run.cancel();
            }
        }
    }

    /** Chunks as they come; a write that fails means the client left, and {@link #serve} cancels the request. */
    private void stream(RequestRun run, RequestRun.Event first, OpenAiJson json, boolean includeUsage,
                        ServerResponse res) throws InterruptedException, IOException {
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        boolean firstChunk = true;
        OutputStream out = res.outputStream();
        RequestRun.Event event = first;
        while (true) {
            switch (event) {
                case RequestRun.Tokens tokens -> {
                    if (!tokens.text().isEmpty() || firstChunk) {
                        send(out, json.chunk(tokens.text(), firstChunk));
                        firstChunk = false;
                    }
                }
                case RequestRun.Done done -> {
                    send(out, json.finalChunk(done.result(), generator.strategy()));
                    if (includeUsage) {
                        send(out, json.usageChunk(done.result().stats()));
                    }
                    out.write(DONE);
                    out.close();
                    return;
                }
                case RequestRun.Failed failed -> {
                    // the status is sent already: the error travels as an event, as vLLM sends it
                    ApiError error = asApiError(failed.error());
                    metrics.refused(error.status());
                    send(out, error.json());
                    out.write(DONE);
                    out.close();
                    return;
                }
            }
            event = run.next();
        }
    }

    private static void send(OutputStream out, JsonObject chunk) throws IOException {
        out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private int[] promptIds(CompletionRequest request) {
        if (request.promptIds() != null) {
            return request.promptIds();
        }
        try {
            return request.chat() ? generator.encode(request.messages()) : generator.tokenizer().encode(request.prompt());
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(e.getMessage(), request.chat() ? "messages" : "prompt");
        }
    }

    /** The request's budget, or what the context leaves after the prompt (vLLM's default). */
    private int maxNewTokens(CompletionRequest request, int promptTokens) {
        int context = generator.target().config().maxPositions();
        String param = request.chat() ? "messages" : "prompt";
        if (promptTokens >= context) {
            throw ApiError.invalid("This model's maximum context length is " + context + " tokens. However, your"
                    + " prompt has " + promptTokens + " tokens. Please shorten it.", param, "context_length_exceeded");
        }
        if (request.maxTokens() == null) {
            return context - promptTokens;
        }
        if (promptTokens + request.maxTokens() > context) {
            throw ApiError.invalid("This model's maximum context length is " + context + " tokens. However, you"
                    + " requested " + (promptTokens + request.maxTokens()) + " tokens (" + promptTokens
                    + " in the prompt, " + request.maxTokens() + " in the completion). Please reduce the prompt"
                    + " or the completion's length.", "max_tokens", "context_length_exceeded");
        }
        return request.maxTokens();
    }

    private static ApiError asApiError(RuntimeException e) {
        if (e instanceof RejectedRequestException rejected) {
            return ApiError.overloaded("the server is busy (" + rejected.getMessage() + "); retry after "
                    + RETRY_AFTER_SECONDS + " s");
        }
        if (e instanceof IllegalArgumentException) {
            return ApiError.invalid(e.getMessage(), null);
        }
        LOG.warn("request failed", e);
        return ApiError.internal("generation failed: " + e.getMessage());
    }

    static void sendJson(ServerResponse res, int status, JsonObject body) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        if (status == 429) {
            res.header(HeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        res.send(body.toString().getBytes(StandardCharsets.UTF_8));
    }
}
