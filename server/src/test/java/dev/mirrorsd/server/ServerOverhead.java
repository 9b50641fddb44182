package dev.mirrorsd.server;

import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.testing.SmolLM2Target;
import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.mapping.Deployment;
import dev.mirrorsd.pipeline.Cancellation;
import dev.mirrorsd.pipeline.GenerationConfig;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Strategy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The server's latency overhead: the same greedy chat requests run one at a time, alternately through
 * {@code Generator.generate} in this JVM and through the server on loopback read by a streaming
 * client, and the time to first token and between text chunks compared at p50/p90/p99. A
 * measurement, not a test: tools/server/overhead.sh runs it, docs/results/server.md has its output.
 *
 * <p>Arguments: [requests per side (30)] [max tokens (16)] [strategy (prompt-lookup)] [device plan (the
 * default)] [target (the default)].
 */
public final class ServerOverhead {
    private static final List<String> PROMPTS = List.of("What is the capital of France?",
            "Name three primary colours.", "Write a haiku about the sea.", "Explain photosynthesis in one sentence.",
            "List four prime numbers.", "What does a compiler do?", "Give me a synonym for happy.",
            "Why is the sky blue?");

    private ServerOverhead() {
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int maxTokens = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        String strategy = args.length > 2 ? args[2] : "prompt-lookup";
        String plan = args.length > 3 ? args[3] : null;
        Path target = args.length > 4 ? Path.of(args[4]) : SmolLM2Target.require();
        try (Generator generator = Deployment.plan(plan).target(target).open(Strategy.byName(strategy));
             OpenAiServer server = OpenAiServer.start(generator, ServerOptions.defaults("m").withPort(0))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions");
            List<Long> directTtft = new ArrayList<>();
            List<Long> directItl = new ArrayList<>();
            List<Long> serverTtft = new ArrayList<>();
            List<Long> serverItl = new ArrayList<>();
            int warmup = 4;
            for (int i = 0; i < requests + warmup; i++) {
                String prompt = PROMPTS.get(i % PROMPTS.size());
                boolean keep = i >= warmup;
                direct(generator, prompt, maxTokens, keep ? directTtft : new ArrayList<>(), keep ? directItl : new ArrayList<>());
                viaServer(http, uri, prompt, maxTokens, keep ? serverTtft : new ArrayList<>(), keep ? serverItl : new ArrayList<>());
            }
            System.out.printf("%d requests per side, %d max tokens, %s, plan %s, %d cores%n", requests, maxTokens,
                    strategy, plan == null ? Deployment.DEFAULT_PLAN : plan, Runtime.getRuntime().availableProcessors());
            System.out.println("| measure | direct generate() p50 / p90 / p99 (ms) | through the server p50 / p90 / p99 (ms) | server - direct at p50 (ms) |");
            System.out.println("|---|---|---|---|");
            row("time to first token", directTtft, serverTtft);
            row("time between text chunks", directItl, serverItl);
        }
    }

    /**
     * Request start to the first non-empty text, and between non-empty texts, as a client would see
     * them; on a fresh platform thread, as the server runs each request.
     */
    private static void direct(Generator generator, String prompt, int maxTokens, List<Long> ttft, List<Long> itl)
            throws InterruptedException {
        Thread request = Thread.ofPlatform().start(() -> directOnThisThread(generator, prompt, maxTokens, ttft, itl));
        request.join();
    }

    private static void directOnThisThread(Generator generator, String prompt, int maxTokens, List<Long> ttft,
                                           List<Long> itl) {
        GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(maxTokens).withSampling(SamplingConfig.greedy());
        long[] last = {System.nanoTime(), 0};
        long start = last[0];
        generator.generate(List.of(ChatMessage.user(prompt)), config, (ids, text) -> {
            if (text.isEmpty()) {
                return;
            }
            long now = System.nanoTime();
            if (last[1]++ == 0) {
                ttft.add(now - start);
            } else {
                itl.add(now - last[0]);
            }
            last[0] = now;
        }, new Cancellation());
    }

    private static void viaServer(HttpClient http, URI uri, String prompt, int maxTokens, List<Long> ttft,
                                  List<Long> itl) throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"" + prompt + "\"}], \"max_tokens\": "
                + maxTokens + ", \"temperature\": 0, \"stream\": true}";
        HttpRequest request = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        long last = start;
        boolean first = true;
        HttpResponse<java.util.stream.Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
        for (String line : (Iterable<String>) response.body()::iterator) {
            // a chunk with text: the first carries the role too; the final one has an empty delta
            if (!line.startsWith("data: {") || !line.contains("\"content\":\"") || line.contains("\"content\":\"\"")) {
                continue;
            }
            long now = System.nanoTime();
            if (first) {
                ttft.add(now - start);
                first = false;
            } else {
                itl.add(now - last);
            }
            last = now;
        }
    }

    private static void row(String name, List<Long> direct, List<Long> server) {
        long[] d = sorted(direct);
        long[] s = sorted(server);
        System.out.printf("| %s | %.2f / %.2f / %.2f | %.2f / %.2f / %.2f | %+.2f |%n", name, ms(d, 50), ms(d, 90),
                ms(d, 99), ms(s, 50), ms(s, 90), ms(s, 99), ms(s, 50) - ms(d, 50));
    }

    private static long[] sorted(List<Long> values) {
        long[] a = values.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a;
    }

    /** The nearest-rank percentile, in milliseconds. */
    private static double ms(long[] sorted, int percentile) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }
}
