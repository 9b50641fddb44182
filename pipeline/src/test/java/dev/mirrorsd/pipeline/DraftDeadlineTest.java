package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.draft.DraftSession;
import dev.mirrorsd.draft.Drafter;
import dev.mirrorsd.draft.ModelDrafter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A drafter that hangs past the per-round deadline: the request finishes on the target alone with
 * every token kept, the fault in its statistics, without waiting for the drafter; the hung call's
 * session is closed (its native arrays freed) once the call returns.
 */
class DraftDeadlineTest {
    private static final Duration DEADLINE = Duration.ofSeconds(1); // far above a tiny draft call, even on a loaded machine
    private static final int[] PROMPT = {5, 6, 7, 8, 9};
    private static final GenerationConfig CONFIG = GenerationConfig.defaults().withMaxNewTokens(30).withIgnoreEos(true)
            .withNumAssistantTokens(3);

    private static CausalLM target;
    private static CausalLM draft;
    private static int[] targetAlone;

    @BeforeAll
    static void load() {
        target = TinyModels.target();
        draft = TinyModels.draftWithHeads();
        targetAlone = Generator.of(target, new IdTokenizer(TinyModels.VOCAB), null)
                .generateFromIds(PROMPT, CONFIG, TokenListener.NONE, new Cancellation()).tokenIds();
    }

    @AfterAll
    static void close() {
        draft.close();
        target.close();
    }

    /** The draft model's drafter, except that its {@code hangAt}-th proposal blocks until {@code release} opens. */
    private static final class HangingDrafter implements Drafter {
        final Drafter inner = new ModelDrafter(draft, null, TinyModels.VOCAB, 0f);
        final int hangAt;
        final boolean interruptible;
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        final AtomicInteger interrupts = new AtomicInteger();

        HangingDrafter(int hangAt, boolean interruptible) {
            this.hangAt = hangAt;
            this.interruptible = interruptible;
        }

        @Override
        public DraftSession open(SamplingConfig sampling, RandomGenerator random, int capacity) {
            DraftSession session = inner.open(sampling, random, capacity);
            return new DraftSession() {
                int calls;

                @Override
                public DraftProposal propose(int[] context, int length, int maxTokens) {
                    if (++calls == hangAt) {
                        hang();
                    }
                    return session.propose(context, length, maxTokens);
                }

                @Override
                public void close() {
                    session.close();
                    closed.countDown();
                }
            };
        }

        private void hang() {
            while (true) {
                try {
                    release.await();
                    return;
                } catch (InterruptedException e) {
                    interrupts.incrementAndGet();
                    if (interruptible) {
                        throw new IllegalStateException("draft call interrupted", e);
                    }
                    // a drafter stuck in native code ignores interrupts: keep hanging
                }
            }
        }

        @Override
        public String name() {
            return "hanging";
        }
    }

    @Test
    void aDrafterThatHangsPastTheDeadlineLetsTheRequestFinishOnTheTargetAlone() throws Exception {
        HangingDrafter hanging = new HangingDrafter(3, false);
        Generator generator = Generator.speculative(target, new IdTokenizer(TinyModels.VOCAB), null, hanging)
                .withDraftDeadline(DEADLINE);
        int draftArrays = draft.liveArrays();
        long start = System.nanoTime();
        GenerationResult result = generator.generateFromIds(PROMPT, CONFIG, TokenListener.NONE, new Cancellation());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertArrayEquals(targetAlone, result.tokenIds(), "every token kept, the same as the target alone");
        assertEquals(FinishReason.LENGTH, result.finishReason());
        assertTrue(result.stats().draftFailure().contains("deadline of 1000 ms"), result.stats().draftFailure());
        assertTrue(millis < 5_000, "generate() waited for the hung drafter: " + millis + " ms");
        assertEquals(1, hanging.interrupts.get(), "the overrunning call is interrupted once");
        assertEquals(1, hanging.closed.getCount(), "a session still in use by the hung call must not be closed");

        hanging.release.countDown(); // the drafter comes back: its draft thread closes the session
        assertTrue(hanging.closed.await(30, TimeUnit.SECONDS), "the given-up session was never closed");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (draft.liveArrays() != draftArrays && System.nanoTime() < deadline) {
            Thread.sleep(5); // the close runs on the draft thread, just after the latch
        }
        assertEquals(draftArrays, draft.liveArrays(), "the hung session's cache was not freed");
    }

    @Test
    void anInterruptibleHangEndsAtTheDeadlineAndItsSessionIsClosed() throws Exception {
        HangingDrafter hanging = new HangingDrafter(2, true);
        Generator generator = Generator.speculative(target, new IdTokenizer(TinyModels.VOCAB), null, hanging)
                .withDraftDeadline(DEADLINE);
        GenerationResult result = generator.generateFromIds(PROMPT, CONFIG, TokenListener.NONE, new Cancellation());
        assertArrayEquals(targetAlone, result.tokenIds());
        assertTrue(result.stats().draftFailure().contains("deadline"), result.stats().draftFailure());
        assertTrue(hanging.closed.await(30, TimeUnit.SECONDS), "the interrupted session was never closed");
    }

    @Test
    void aDrafterWithinItsDeadlineIsNotDisturbed() {
        HangingDrafter never = new HangingDrafter(Integer.MAX_VALUE, false);
        Generator withDeadline = Generator.speculative(target, new IdTokenizer(TinyModels.VOCAB), null, never)
                .withDraftDeadline(DEADLINE);
        Generator inline = withDeadline.withDraftDeadline(null);
        GenerationResult threaded = withDeadline.generateFromIds(PROMPT, CONFIG, TokenListener.NONE, new Cancellation());
        GenerationResult direct = inline.generateFromIds(PROMPT, CONFIG, TokenListener.NONE, new Cancellation());
        assertNull(threaded.stats().draftFailure());
        assertArrayEquals(targetAlone, threaded.tokenIds());
        assertArrayEquals(direct.tokenIds(), threaded.tokenIds());
        assertEquals(direct.stats().acceptedTokens(), threaded.stats().acceptedTokens());
    }
}
