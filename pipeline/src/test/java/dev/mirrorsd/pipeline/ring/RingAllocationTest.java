package dev.mirrorsd.pipeline.ring;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The channel must not allocate on the hot path (docs/design/mirror-sd.md sections 7 and 8): each of the two threads
 * measures the bytes it allocates itself (HotSpot's per-thread allocation counter) over many round
 * trips after a warm-up, and the average must stay under one byte per round trip.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RingAllocationTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @ParameterizedTest
    @EnumSource(value = WaitPolicy.class, names = {"YIELDING", "BLOCKING"})
    void roundTripsAllocateNothingOnEitherThread(WaitPolicy policy) throws Exception {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        int warmUp = policy == WaitPolicy.BLOCKING ? 20_000 : 50_000;
        int measured = policy == WaitPolicy.BLOCKING ? 20_000 : 100_000;
        int total = warmUp + measured;
        try (TokenChannel<EarlyExitEvent> exits = TokenChannel.create(
                     () -> new EarlyExitEvent(Messages.ROWS, Messages.KAPPA), 8, policy);
             TokenChannel<VerdictEvent> verdicts = TokenChannel.create(
                     () -> new VerdictEvent(Messages.ROWS), 8, policy)) {
            AtomicLong draftBytes = new AtomicLong(-1);
            AtomicReference<String> draftError = new AtomicReference<>();
            Thread draft = new Thread(() -> {
                EarlyExitEvent exit = new EarlyExitEvent(Messages.ROWS, Messages.KAPPA);
                int[] rows = new int[Messages.ROWS];
                int[] tokens = new int[Messages.ROWS + 1];
                long before = 0;
                for (long round = 0; round < total; round++) {
                    if (round == warmUp) {
                        before = threads.getCurrentThreadAllocatedBytes();
                    }
                    if (exits.receive(exit, round, 10 * SECOND) != Receipt.RECEIVED) {
                        draftError.set("no early exit for round " + round);
                        return;
                    }
                    VerdictEvent slot = verdicts.claim(10 * SECOND);
                    if (slot == null) {
                        draftError.set("no room for verdict " + round);
                        return;
                    }
                    Messages.fillVerdict(slot, round, rows, tokens);
                    verdicts.publish();
                }
                draftBytes.set(threads.getCurrentThreadAllocatedBytes() - before);
            }, "draft");
            draft.start();

            VerdictEvent verdict = new VerdictEvent(Messages.ROWS);
            long before = 0;
            String error = null;
            for (long round = 0; round < total && error == null; round++) {
                if (round == warmUp) {
                    before = threads.getCurrentThreadAllocatedBytes();
                }
                EarlyExitEvent slot = exits.claim(10 * SECOND);
                if (slot == null) {
                    error = "no room for early exit " + round;
                    break;
                }
                Messages.fillEarlyExit(slot, round);
                exits.publish();
                if (verdicts.receive(verdict, round, 10 * SECOND) != Receipt.RECEIVED) {
                    error = "no verdict for round " + round;
                }
            }
            long targetBytes = threads.getCurrentThreadAllocatedBytes() - before;
            draft.join();
            assertNull(error);
            assertNull(draftError.get());
            double targetPerRound = (double) targetBytes / measured;
            double draftPerRound = (double) draftBytes.get() / measured;
            System.out.printf("%s: %d round trips, target thread %d bytes (%.4f/round), draft thread %d bytes "
                    + "(%.4f/round)%n", policy, measured, targetBytes, targetPerRound, draftBytes.get(), draftPerRound);
            assertTrue(targetPerRound < 1.0, "target thread allocated " + targetBytes + " bytes over " + measured
                    + " round trips");
            assertTrue(draftPerRound < 1.0, "draft thread allocated " + draftBytes.get() + " bytes over " + measured
                    + " round trips");
        }
    }
}
