package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.sampling.SamplingConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Load: sixteen threads call generate() at once on generators of every strategy that share one
 * target and one draft model, with greedy and seeded sampled settings mixed; every output must be
 * exactly what the same request gives when it runs alone, and no native array may outlive them.
 */
class ConcurrentGenerationTest {
    private static final int THREADS = 16;
    private static final int REQUESTS_PER_THREAD = 3;

    private static CausalLM target;
    private static CausalLM draft;
    private static final Map<Strategy, Generator> GENERATORS = new EnumMap<>(Strategy.class);

    @BeforeAll
    static void load() {
        target = TinyModels.target();
        draft = TinyModels.draftWithHeads();
        for (Strategy strategy : TinyModels.STRATEGIES) {
            GENERATORS.put(strategy, Generators.build(strategy, target, new IdTokenizer(TinyModels.VOCAB), null,
                    TinyModels.options(draft)));
        }
    }

    @AfterAll
    static void close() {
        // the generators share the models: close the models once, not the generators
        draft.close();
        target.close();
    }

    private record Request(Strategy strategy, int[] prompt, GenerationConfig config) {
        GenerationResult run() {
            return GENERATORS.get(strategy).generateFromIds(prompt, config, TokenListener.NONE, new Cancellation());
        }
    }

    /** Every strategy under every kind of setting: greedy chains of several lengths, sampling, stop at EOS or not. */
    private static List<Request> requests(int count) {
        SplittableRandom random = new SplittableRandom(11);
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = new int[3 + random.nextInt(16)];
            for (int p = 0; p < prompt.length; p++) {
                prompt[p] = 3 + random.nextInt(i % 2 == 0 ? 8 : 90); // a small alphabet gives prompt lookup matches
            }
            GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(16 + random.nextInt(24))
                    .withNumAssistantTokens(1 + random.nextInt(5)).withIgnoreEos(i % 4 != 0);
            if (i % 3 == 1) {
                config = config.withSampling(new SamplingConfig(true, 0.9f, 40, 0.95f, 1.1f, 1000L + i));
            }
            Strategy strategy = TinyModels.STRATEGIES.get(i % TinyModels.STRATEGIES.size());
            requests.add(new Request(strategy, prompt, config));
        }
        return requests;
    }

    @Test
    void sixteenConcurrentRequestsOfMixedStrategiesEachMatchTheRequestRunAlone() throws Exception {
        List<Request> requests = requests(THREADS * REQUESTS_PER_THREAD);
        List<GenerationResult> alone = new ArrayList<>();
        for (Request request : requests) {
            alone.add(request.run());
        }
        int targetArrays = target.liveArrays();
        int draftArrays = draft.liveArrays();

        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<List<GenerationResult>>> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int first = t * REQUESTS_PER_THREAD;
            threads.add(pool.submit(() -> {
                start.await(); // all sixteen begin together
                List<GenerationResult> results = new ArrayList<>();
                for (int r = first; r < first + REQUESTS_PER_THREAD; r++) {
                    results.add(requests.get(r).run());
                }
                return results;
            }));
        }
        List<GenerationResult> together = new ArrayList<>();
        for (Future<List<GenerationResult>> thread : threads) {
            together.addAll(thread.get(5, TimeUnit.MINUTES));
        }
        pool.shutdown();

        for (int i = 0; i < requests.size(); i++) {
            Request request = requests.get(i);
            String what = "request " + i + " (" + request.strategy() + ", "
                    + (request.config().sampling().isGreedy() ? "greedy" : "sampled") + ")";
            assertArrayEquals(alone.get(i).tokenIds(), together.get(i).tokenIds(), what + " differs under load");
            assertEquals(alone.get(i).text(), together.get(i).text(), what);
            assertEquals(alone.get(i).finishReason(), together.get(i).finishReason(), what);
            assertEquals(null, together.get(i).stats().draftFailure(), what);
        }
        assertEquals(targetArrays, target.liveArrays(), "native arrays of the target left behind");
        assertEquals(draftArrays, draft.liveArrays(), "native arrays of the draft left behind");
        assertTrue(requests.stream().map(Request::strategy).distinct().count() == TinyModels.STRATEGIES.size());
    }
}
