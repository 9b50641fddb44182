package dev.mirrorsd.server;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.testing.SmolLM2Target;
import dev.mirrorsd.mapping.Deployment;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Strategy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The server on an ephemeral port over the default target (prompt-lookup, greedy unless a test
 * samples), called with java.net.http as any OpenAI client would.
 */
class OpenAiServerEndToEndTest {
    private static final String MODEL = "smollm2-test";
    private static final String CHAT = "{\"model\": \"" + MODEL + "\", \"messages\": [{\"role\": \"user\","
            + " \"content\": \"Name three primary colours.\"}], \"max_tokens\": 12, \"temperature\": 0";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static Generator generator;
    private static OpenAiServer server;
    private static OpenAiServer keyed;

    @BeforeAll
    static void start() {
        generator = Deployment.plan(null).target(SmolLM2Target.require()).open(Strategy.byName("prompt-lookup"));
        server = OpenAiServer.start(generator, ServerOptions.defaults(MODEL).withPort(0).withAdmission(1, 4));
        keyed = OpenAiServer.start(generator, ServerOptions.defaults(MODEL).withPort(0).withApiKey("k3y"));
    }

    @AfterAll
    static void stop() {
        if (keyed != null) {
            keyed.close();
        }
        if (server != null) {
            server.close();
        }
        if (generator != null) {
            generator.close();
        }
    }

    private static HttpResponse<String> post(OpenAiServer to, String path, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + to.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(OpenAiServer from, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + from.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject json(HttpResponse<String> response) {
        return JsonParser.parseString(response.body()).getAsJsonObject();
    }

    /** The data of each server-sent event, up to and without [DONE], which must end the stream. */
    private static List<JsonObject> events(String body) {
        List<JsonObject> events = new ArrayList<>();
        boolean done = false;
        for (String line : body.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            assertTrue(line.startsWith("data: "), line);
            assertFalse(done, "an event after [DONE]");
            String data = line.substring("data: ".length());
            if (data.equals("[DONE]")) {
                done = true;
            } else {
                events.add(JsonParser.parseString(data).getAsJsonObject());
            }
        }
        assertTrue(done, "the stream did not end with [DONE]");
        return events;
    }

    @Test
    void chatShouldAnswerWithUsageAndSpeculativeStatistics() throws Exception {
        HttpResponse<String> response = post(server, "/v1/chat/completions", CHAT + "}");
        assertEquals(200, response.statusCode(), response.body());
        JsonObject body = json(response);
        assertEquals("chat.completion", body.get("object").getAsString());
        assertEquals(MODEL, body.get("model").getAsString());
        JsonObject choice = body.getAsJsonArray("choices").get(0).getAsJsonObject();
        assertEquals("assistant", choice.getAsJsonObject("message").get("role").getAsString());
        assertFalse(choice.getAsJsonObject("message").get("content").getAsString().isBlank());
        JsonObject usage = body.getAsJsonObject("usage");
        int completion = usage.get("completion_tokens").getAsInt();
        assertTrue(completion > 0 && completion <= 12, usage.toString());
        assertEquals(usage.get("prompt_tokens").getAsInt() + completion, usage.get("total_tokens").getAsInt());
        assertEquals(completion == 12 ? "length" : "stop", choice.get("finish_reason").getAsString());
        JsonObject spec = body.getAsJsonObject("mirror_sd");
        assertEquals("prompt-lookup", spec.get("strategy").getAsString());
        assertTrue(spec.get("tau").getAsDouble() >= 1.0, spec.toString());
        assertTrue(spec.get("accepted_tokens").getAsLong() <= spec.get("drafted_tokens").getAsLong());
    }

    @Test
    void aStreamShouldCarryTheSameTextAsTheWholeAnswerAndEndWithDone() throws Exception {
        String whole = json(post(server, "/v1/chat/completions", CHAT + "}")).getAsJsonArray("choices").get(0)
                .getAsJsonObject().getAsJsonObject("message").get("content").getAsString();
        HttpResponse<String> response = post(server, "/v1/chat/completions",
                CHAT + ", \"stream\": true, \"stream_options\": {\"include_usage\": true}}");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<JsonObject> events = events(response.body());
        StringBuilder streamed = new StringBuilder();
        String finish = null;
        for (JsonObject event : events) {
            assertEquals("chat.completion.chunk", event.get("object").getAsString());
            for (var c : event.getAsJsonArray("choices")) {
                JsonObject choice = c.getAsJsonObject();
                if (choice.getAsJsonObject("delta").has("content")) {
                    streamed.append(choice.getAsJsonObject("delta").get("content").getAsString());
                }
                if (!choice.get("finish_reason").isJsonNull()) {
                    finish = choice.get("finish_reason").getAsString();
                }
            }
        }
        assertEquals("assistant", events.get(0).getAsJsonArray("choices").get(0).getAsJsonObject()
                .getAsJsonObject("delta").get("role").getAsString());
        assertEquals(whole, streamed.toString());
        assertNotNull(finish);
        JsonObject last = events.get(events.size() - 1);
        assertEquals(0, last.getAsJsonArray("choices").size());
        assertTrue(last.getAsJsonObject("usage").get("completion_tokens").getAsInt() > 0);
    }

    @Test
    void aCompletionShouldStopBeforeItsStopStringAndASeedShouldReproduceASample() throws Exception {
        String request = "{\"prompt\": \"The capital of France is\", \"max_tokens\": 10, \"temperature\": 0";
        JsonObject plain = json(post(server, "/v1/completions", request + "}"));
        assertEquals("text_completion", plain.get("object").getAsString());
        String text = plain.getAsJsonArray("choices").get(0).getAsJsonObject().get("text").getAsString();
        assertTrue(text.length() > 6, text);
        String stop = text.substring(3, 6);
        JsonObject stopped = json(post(server, "/v1/completions", request + ", \"stop\": [\""
                + stop.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"]}"));
        JsonObject choice = stopped.getAsJsonArray("choices").get(0).getAsJsonObject();
        assertEquals(text.substring(0, text.indexOf(stop)), choice.get("text").getAsString());
        assertEquals("stop", choice.get("finish_reason").getAsString());

        String sampled = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 10, \"temperature\": 0.9, \"seed\": 1234}";
        assertEquals(json(post(server, "/v1/completions", sampled)).getAsJsonArray("choices"),
                json(post(server, "/v1/completions", sampled)).getAsJsonArray("choices"));
    }

    @Test
    void badRequestsShouldBeAnsweredWithOpenAisErrorAndTheServerGoOn() throws Exception {
        record Bad(String path, String body, int status, String param) {
        }
        String longPrompt = "word ".repeat(9000);
        for (Bad bad : List.of(
                new Bad("/v1/chat/completions", "{not json", 400, null),
                new Bad("/v1/chat/completions", "{\"messages\": \"hi\"}", 400, "messages"),
                new Bad("/v1/chat/completions", CHAT + ", \"max_tokens\": -3}", 400, "max_tokens"),
                new Bad("/v1/chat/completions", CHAT + ", \"n\": 2}", 400, "n"),
                new Bad("/v1/completions", "{\"prompt\": \"" + longPrompt + "\", \"max_tokens\": 4}", 400, "prompt"),
                new Bad("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 100000}", 400, "max_tokens"),
                new Bad("/v1/completions", "{\"prompt\": [1, 99999999]}", 400, null),
                new Bad("/v1/completions", "{\"model\": \"gpt-9\", \"prompt\": \"a\"}", 404, "model"))) {
            HttpResponse<String> response = post(server, bad.path(), bad.body());
            String what = bad.body().length() > 80 ? bad.body().substring(0, 80) : bad.body();
            assertEquals(bad.status(), response.statusCode(), what + " -> " + response.body());
            JsonObject error = json(response).getAsJsonObject("error");
            assertEquals("invalid_request_error", error.get("type").getAsString(), what);
            assertFalse(error.get("message").getAsString().isBlank());
            assertTrue(error.has("code"), what);
            if (bad.param() != null) {
                assertEquals(bad.param(), error.get("param").getAsString(), what);
            }
        }
        assertEquals(200, post(server, "/v1/completions", "{\"prompt\": \"Hi\", \"max_tokens\": 2}").statusCode());
    }

    @Test
    void theApiKeyShouldGuardTheApiButNotTheProbes() throws Exception {
        String body = "{\"prompt\": \"Hi\", \"max_tokens\": 2}";
        HttpResponse<String> missing = post(keyed, "/v1/completions", body);
        assertEquals(401, missing.statusCode());
        assertEquals("invalid_api_key", json(missing).getAsJsonObject("error").get("code").getAsString());
        assertEquals(401, post(keyed, "/v1/completions", body, "Authorization", "Bearer wrong").statusCode());
        assertEquals(200, post(keyed, "/v1/completions", body, "Authorization", "Bearer k3y").statusCode());
        assertEquals(401, get(keyed, "/v1/models").statusCode());
        assertEquals(200, get(keyed, "/health").statusCode());
        assertEquals(200, get(keyed, "/metrics").statusCode());
    }

    @Test
    void modelsHealthAndMetricsShouldAnswer() throws Exception {
        post(server, "/v1/completions", "{\"prompt\": \"Hi\", \"max_tokens\": 3, \"temperature\": 0}");
        JsonObject models = json(get(server, "/v1/models"));
        assertEquals(MODEL, models.getAsJsonArray("data").get(0).getAsJsonObject().get("id").getAsString());
        assertEquals(200, get(server, "/health").statusCode());
        String metrics = get(server, "/metrics").body();
        for (String name : List.of("vllm:spec_decode_num_drafts_total", "vllm:spec_decode_num_draft_tokens_total",
                "vllm:spec_decode_num_accepted_tokens_total", "vllm:time_to_first_token_seconds_count",
                "vllm:inter_token_latency_seconds_count", "vllm:e2e_request_latency_seconds_count",
                "vllm:request_success_total", "mirror_sd:native_arrays_live")) {
            assertTrue(metrics.contains(name), () -> name + " missing from\n" + metrics);
        }
    }

    /**
     * One request decoding and none allowed to wait: a second is answered 429 with Retry-After; the
     * first client then hangs up mid-stream, its request is cancelled and its caches freed.
     */
    @Test
    void aFullQueueShouldAnswer429AndAClientThatLeavesShouldCancelItsRequest() throws Exception {
        try (OpenAiServer tight = OpenAiServer.start(generator, ServerOptions.defaults(MODEL).withPort(0)
                .withAdmission(1, 0))) {
            double idleArrays = gauge(tight, "mirror_sd:native_arrays_live");
            String longBody = "{\"prompt\": \"Count: 1, 2, 3,\", \"max_tokens\": 400, \"ignore_eos\": true,"
                    + " \"temperature\": 0, \"stream\": true}";
            try (Socket client = new Socket("127.0.0.1", tight.port())) {
                byte[] body = longBody.getBytes(StandardCharsets.UTF_8);
                OutputStream out = client.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                        StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null && !line.startsWith("data: ")) {
                    // the status line and headers
                }
                assertNotNull(line, "no event came");
                HttpResponse<String> refused = post(tight, "/v1/completions", "{\"prompt\": \"Hi\", \"max_tokens\": 2}");
                assertEquals(429, refused.statusCode(), refused.body());
                assertEquals("1", refused.headers().firstValue("retry-after").orElse(null));
            } // the client hangs up mid-stream
            long deadline = System.nanoTime() + 60_000_000_000L; // a bound on the wait, not a timing check
            while (gauge(tight, "mirror_sd:requests_in_flight") > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            String metrics = get(tight, "/metrics").body();
            assertTrue(metrics.contains("vllm:request_success_total{finished_reason=\"abort\",model_name=\"" + MODEL
                    + "\"} 1.0"), metrics);
            double generated = gauge(tight, "vllm:generation_tokens_total");
            assertTrue(generated > 0 && generated < 400, "generated " + generated + " tokens of 400");
            assertEquals(idleArrays, gauge(tight, "mirror_sd:native_arrays_live"), "caches left open");
        }
    }

    private static double gauge(OpenAiServer from, String name) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*} (\\S+)$").matcher(get(from, "/metrics").body());
        if (!m.find()) {
            fail(name + " missing from the metrics");
        }
        return Double.parseDouble(m.group(1));
    }
}
