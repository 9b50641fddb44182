package dev.mirrorsd.draft;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.sampling.RequestRandom;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.core.testing.RandomWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A greedy draft model's proposal after a committed context is one chain, however it is reached:
 * the branch {@link ModelMirrorDrafter} rolled out (a hit) and the fresh draft in the cache the
 * rollouts left (a miss) must both equal what the serial {@link ModelDrafter} drafts from scratch.
 * Rounds are driven by hand with early-exit messages and verdicts that hit or miss on purpose.
 */
class ModelMirrorDrafterTest {
    private static final int VOCAB = 96;
    private static final int GAMMA = 3;
    private static final int KAPPA = 2;
    private static final int CAPACITY = 200;

    private static CausalLM draft;

    @BeforeAll
    static void load() {
        draft = Engines.load(ModelSource.of(RandomWeights.of(RandomWeights.tinyConfig(false), 8)), "pytorch:cpu");
    }

    @AfterAll
    static void close() {
        draft.close();
    }

    /** A draft vocabulary listing the target's ids out of order, so that both id orders are exercised. */
    private static int[] shuffledVocabulary() {
        int[] map = new int[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            map[i] = (i * 37 + 5) % VOCAB;
        }
        return map;
    }

    @Test
    void shouldHandOverWhatTheSerialDraftProposesAfterTheCommittedTokens() {
        for (int[] map : new int[][] {null, shuffledVocabulary()}) {
            for (MissPolicy onMiss : MissPolicy.values()) {
                int[] outcomes = playRounds(map, onMiss, 20);
                assertTrue(outcomes[0] > 0 && outcomes[1] > 0, "rounds should both hit and miss: " + outcomes[0]
                        + " hits, " + outcomes[1] + " misses");
            }
        }
    }

    /** Plays {@code rounds} rounds; returns {hits, misses}. */
    private static int[] playRounds(int[] map, MissPolicy onMiss, int rounds) {
        SamplingConfig greedy = SamplingConfig.greedy();
        // views of the test's model: closing the drafters leaves it open
        ModelDrafter serial = new ModelDrafter(draft.firstLayers(draft.config().numLayers()), map, VOCAB, 0f);
        ModelMirrorDrafter mirror = new ModelMirrorDrafter(draft.firstLayers(draft.config().numLayers()), map, VOCAB,
                true);
        SplittableRandom random = new SplittableRandom(21);
        int[] committed = {4, 19, 77, 31, 8, 52};
        int hits = 0;
        int misses = 0;
        try (MirrorDraftSession session = mirror.open(greedy, RequestRandom.of(greedy).draft(), GAMMA, KAPPA, onMiss, CAPACITY)) {
            session.prefill(committed);
            committed = append(committed, 60); // the target's prefill token
            int[] proposal = new int[0];
            for (int round = 0; round < rounds; round++) {
                int n = proposal.length;
                int[] window = append(new int[] {committed[committed.length - 1]}, proposal);
                int[] candidates = new int[(n + 1) * KAPPA];
                for (int depth = 0; depth <= n; depth++) {
                    for (int rank = 0; rank < KAPPA; rank++) {
                        candidates[depth * KAPPA + rank] = tokenOtherThan(random, depth < n ? window[depth + 1] : -1);
                    }
                }
                session.rollout(new EarlyExitMessage(window, KAPPA, candidates, new float[candidates.length]));

                int accepted = random.nextInt(n + 1);
                boolean hit = random.nextBoolean();
                int rejected = accepted < n ? window[accepted + 1] : -1;
                int finalToken = candidates[accepted * KAPPA];
                while (!hit && (finalToken == rejected || contains(candidates, accepted * KAPPA, KAPPA, finalToken))) {
                    finalToken = random.nextInt(3, VOCAB);
                }
                int[] emitted = append(Arrays.copyOfRange(window, 1, 1 + accepted), finalToken);
                int[] acceptedRows = new int[accepted];
                Arrays.setAll(acceptedRows, i -> i);
                DraftProposal next = session.handOver(new Verdict(acceptedRows, emitted,
                        accepted == n ? Verdict.Ending.BONUS : Verdict.Ending.CORRECTION));
                committed = append(committed, emitted);

                assertEquals(hit, session.lastWasHit(), "round " + round);
                proposal = tokens(next);
                int[] expected = hit || onMiss == MissPolicy.REDRAFT ? serialChain(serial, committed) : new int[0];
                assertArrayEquals(expected, proposal, "round " + round + (hit ? ", a hit" : ", a miss") + ", "
                        + onMiss + " after " + Arrays.toString(committed));
                if (hit) {
                    hits++;
                } else {
                    misses++;
                }
            }
        } finally {
            mirror.close();
            serial.close();
        }
        return new int[] {hits, misses};
    }

    private static int[] serialChain(ModelDrafter serial, int[] context) {
        try (DraftSession session = serial.open(SamplingConfig.greedy(), RequestRandom.seeded(0).draft(), CAPACITY)) {
            return tokens(session.propose(context, context.length, GAMMA));
        }
    }

    private static int tokenOtherThan(SplittableRandom random, int token) {
        int t;
        do {
            t = random.nextInt(3, VOCAB);
        } while (t == token);
        return t;
    }

    private static boolean contains(int[] values, int from, int count, int value) {
        for (int i = from; i < from + count; i++) {
            if (values[i] == value) {
                return true;
            }
        }
        return false;
    }

    private static int[] tokens(DraftProposal proposal) {
        int[] tokens = new int[proposal.size()];
        Arrays.setAll(tokens, proposal::token);
        return tokens;
    }

    private static int[] append(int[] head, int... tail) {
        int[] joined = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, joined, head.length, tail.length);
        return joined;
    }
}
