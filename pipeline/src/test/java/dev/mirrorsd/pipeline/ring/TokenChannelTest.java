package dev.mirrorsd.pipeline.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TokenChannelTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static TokenChannel<EarlyExitEvent> earlyExits(int ringSize, WaitPolicy policy) {
        return TokenChannel.create(() -> new EarlyExitEvent(Messages.ROWS, Messages.KAPPA), ringSize, policy);
    }

    private static TokenChannel<VerdictEvent> verdicts(int ringSize, WaitPolicy policy) {
        return TokenChannel.create(() -> new VerdictEvent(Messages.ROWS), ringSize, policy);
    }

    private static TokenChannel<ProposalEvent> proposals(int ringSize, WaitPolicy policy) {
        return TokenChannel.create(() -> new ProposalEvent(Messages.ROWS), ringSize, policy);
    }

    /**
     * Mirror's round: target -> draft EarlyExit, draft -> target Proposal, target -> draft Verdict,
     * for {@code rounds} rounds between two threads; every field of every message is checked.
     */
    static void mirrorRounds(WaitPolicy policy, int rounds) throws Exception {
        try (TokenChannel<EarlyExitEvent> exits = earlyExits(8, policy);
             TokenChannel<VerdictEvent> verdicts = verdicts(8, policy);
             TokenChannel<ProposalEvent> proposals = proposals(8, policy)) {
            AtomicReference<String> draftError = new AtomicReference<>();
            Thread draft = new Thread(() -> {
                EarlyExitEvent exit = new EarlyExitEvent(Messages.ROWS, Messages.KAPPA);
                VerdictEvent verdict = new VerdictEvent(Messages.ROWS);
                int[] tokens = new int[Messages.ROWS];
                int[] parents = new int[Messages.ROWS];
                for (long round = 0; round < rounds; round++) {
                    String error = exits.receive(exit, round, 10 * SECOND) != Receipt.RECEIVED ? "no early exit "
                            + round : Messages.checkEarlyExit(exit, round);
                    if (error == null) {
                        Messages.fillProposal(proposals.claim(10 * SECOND), round, tokens, parents);
                        proposals.publish();
                        error = verdicts.receive(verdict, round, 10 * SECOND) != Receipt.RECEIVED ? "no verdict "
                                + round : Messages.checkVerdict(verdict, round);
                    }
                    if (error != null) {
                        draftError.set(error);
                        proposals.close();
                        return;
                    }
                }
            }, "draft");
            draft.start();
            ProposalEvent proposal = new ProposalEvent(Messages.ROWS);
            int[] rows = new int[Messages.ROWS];
            int[] tokens = new int[Messages.ROWS + 1];
            for (long round = 0; round < rounds; round++) {
                Messages.fillEarlyExit(exits.claim(10 * SECOND), round);
                exits.publish();
                Receipt receipt = proposals.receive(proposal, round, 10 * SECOND);
                if (receipt != Receipt.RECEIVED) {
                    break;
                }
                assertNull(Messages.checkProposal(proposal, round));
                Messages.fillVerdict(verdicts.claim(10 * SECOND), round, rows, tokens);
                verdicts.publish();
            }
            draft.join();
            assertNull(draftError.get());
        }
    }

    @ParameterizedTest
    @EnumSource(value = WaitPolicy.class, names = {"YIELDING", "BLOCKING"})
    void everyEventTypeRoundTripsIntactOver100kRounds(WaitPolicy policy) throws Exception {
        mirrorRounds(policy, policy == WaitPolicy.BLOCKING ? 20_000 : 100_000);
    }

    @Test
    void busySpinRoundTripsIntact() throws Exception {
        mirrorRounds(WaitPolicy.BUSY_SPIN, 2_000); // short: the build machine has two shared cores
    }

    @ParameterizedTest
    @EnumSource(WaitPolicy.class)
    void shouldWrapAroundASmallRingInOrder(WaitPolicy policy) throws Exception {
        int messages = 50_000;
        try (TokenChannel<EarlyExitEvent> channel = earlyExits(4, policy)) {
            CompletableFuture<String> consumer = CompletableFuture.supplyAsync(() -> {
                EarlyExitEvent into = new EarlyExitEvent(Messages.ROWS, Messages.KAPPA);
                for (long round = 0; round < messages; round++) {
                    if (channel.receive(into, 0, 10 * SECOND) != Receipt.RECEIVED) {
                        return "nothing for round " + round;
                    }
                    String error = Messages.checkEarlyExit(into, round);
                    if (error != null) {
                        return error;
                    }
                }
                return null;
            });
            for (long round = 0; round < messages; round++) {
                EarlyExitEvent slot = channel.claim(10 * SECOND);
                assertTrue(slot != null, "ring stayed full at round " + round);
                Messages.fillEarlyExit(slot, round);
                channel.publish();
            }
            assertNull(consumer.get(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldDropStaleMessagesAndNeverReturnThem() {
        try (TokenChannel<VerdictEvent> channel = verdicts(8, WaitPolicy.YIELDING)) {
            int[] rows = new int[Messages.ROWS];
            int[] tokens = new int[Messages.ROWS + 1];
            for (long round = 0; round < 5; round++) {
                Messages.fillVerdict(channel.claim(0), round, rows, tokens);
                channel.publish();
            }
            VerdictEvent into = new VerdictEvent(Messages.ROWS);
            assertEquals(Receipt.RECEIVED, channel.receive(into, 3, 0));
            assertEquals(3, into.roundId());
            assertNull(Messages.checkVerdict(into, 3));
            assertEquals(3, channel.droppedStaleCount());
            assertEquals(Receipt.RECEIVED, channel.receive(into, 3, 0));
            assertEquals(4, into.roundId());
            assertEquals(Receipt.TIMED_OUT, channel.receive(into, 3, 0));
            assertEquals(4, into.roundId(), "a failed receive leaves the receiver's copy alone");
        }
    }

    @Test
    void onlyStaleMessagesTimeOut() {
        try (TokenChannel<ProposalEvent> channel = proposals(4, WaitPolicy.BLOCKING)) {
            int[] tokens = new int[Messages.ROWS];
            int[] parents = new int[Messages.ROWS];
            Messages.fillProposal(channel.claim(0), 7, tokens, parents);
            channel.publish();
            assertEquals(Receipt.TIMED_OUT, channel.receive(new ProposalEvent(Messages.ROWS), 8,
                    TimeUnit.MILLISECONDS.toNanos(20)));
            assertEquals(1, channel.droppedStaleCount());
        }
    }

    @ParameterizedTest
    @EnumSource(WaitPolicy.class)
    void receiveGivesUpAtTheDeadline(WaitPolicy policy) {
        try (TokenChannel<EarlyExitEvent> channel = earlyExits(4, policy)) {
            long start = System.nanoTime();
            Receipt receipt = channel.receive(new EarlyExitEvent(1, 1), 0, TimeUnit.MILLISECONDS.toNanos(50));
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(Receipt.TIMED_OUT, receipt);
            assertTrue(waitedMillis >= 49 && waitedMillis < 2_000, "waited " + waitedMillis + " ms");
        }
    }

    @ParameterizedTest
    @EnumSource(WaitPolicy.class)
    void claimOnAFullRingGivesUpAtTheDeadline(WaitPolicy policy) {
        try (TokenChannel<VerdictEvent> channel = verdicts(2, policy)) {
            int[] rows = new int[Messages.ROWS];
            int[] tokens = new int[Messages.ROWS + 1];
            for (int round = 0; round < 2; round++) {
                Messages.fillVerdict(channel.claim(0), round, rows, tokens);
                channel.publish();
            }
            long start = System.nanoTime();
            assertNull(channel.claim(TimeUnit.MILLISECONDS.toNanos(50)), "a dead draft must not hang the target");
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waitedMillis >= 49 && waitedMillis < 2_000, "waited " + waitedMillis + " ms");
        }
    }

    @ParameterizedTest
    @EnumSource(WaitPolicy.class)
    void closingWakesABlockedReceiver(WaitPolicy policy) throws Exception {
        TokenChannel<EarlyExitEvent> channel = earlyExits(4, policy);
        CompletableFuture<Receipt> receiver = CompletableFuture.supplyAsync(
                () -> channel.receive(new EarlyExitEvent(1, 1), 0, TokenChannel.FOREVER));
        Thread.sleep(100);
        assertFalse(receiver.isDone());
        channel.close();
        assertEquals(Receipt.CLOSED, receiver.get(5, TimeUnit.SECONDS));
    }

    @ParameterizedTest
    @EnumSource(WaitPolicy.class)
    void closingWakesAPublisherWaitingForRoom(WaitPolicy policy) throws Exception {
        TokenChannel<ProposalEvent> channel = proposals(1, policy);
        channel.claim(0).set(0, 0, new int[0], new int[0], ProposalEvent.NO_DISTRIBUTIONS);
        channel.publish();
        CompletableFuture<ProposalEvent> publisher = CompletableFuture.supplyAsync(
                () -> channel.claim(TokenChannel.FOREVER));
        Thread.sleep(100);
        assertFalse(publisher.isDone());
        channel.close();
        assertNull(publisher.get(5, TimeUnit.SECONDS));
    }

    @Test
    void messagesPublishedBeforeCloseAreStillDelivered() {
        TokenChannel<EarlyExitEvent> channel = earlyExits(4, WaitPolicy.BLOCKING);
        Messages.fillEarlyExit(channel.claim(0), 0);
        channel.publish();
        channel.close();
        assertNull(channel.claim(0), "no claims after close");
        EarlyExitEvent into = new EarlyExitEvent(Messages.ROWS, Messages.KAPPA);
        assertEquals(Receipt.RECEIVED, channel.receive(into, 0, SECOND));
        assertNull(Messages.checkEarlyExit(into, 0));
        assertEquals(Receipt.CLOSED, channel.receive(into, 0, SECOND));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -4, 3, 6, 100, 1000})
    void shouldRejectARingSizeThatIsNotAPowerOfTwo(int ringSize) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> verdicts(ringSize, WaitPolicy.BLOCKING));
        assertTrue(e.getMessage().contains("power of 2") && e.getMessage().contains(String.valueOf(ringSize)),
                e.getMessage());
    }

    @Test
    void shouldRejectAClaimBeforeThePreviousOneIsPublished() {
        try (TokenChannel<VerdictEvent> channel = verdicts(4, WaitPolicy.YIELDING)) {
            channel.claim(0);
            assertThrows(IllegalStateException.class, () -> channel.claim(0));
        }
    }

    @Test
    void offerCopiesTheCallersEvent() {
        try (TokenChannel<EarlyExitEvent> channel = earlyExits(2, WaitPolicy.YIELDING)) {
            EarlyExitEvent mine = new EarlyExitEvent(Messages.ROWS, Messages.KAPPA);
            Messages.fillEarlyExit(mine, 12);
            assertTrue(channel.offer(mine, 0));
            Messages.fillEarlyExit(mine, 13); // the slot holds a copy, not this event
            EarlyExitEvent into = new EarlyExitEvent(Messages.ROWS, Messages.KAPPA);
            assertEquals(Receipt.RECEIVED, channel.receive(into, 0, 0));
            assertNull(Messages.checkEarlyExit(into, 12));
        }
    }

    @Test
    void aFailedOfferDeliversNothingCurrent() {
        try (TokenChannel<EarlyExitEvent> channel = TokenChannel.create(() -> new EarlyExitEvent(2, 2), 2,
                WaitPolicy.YIELDING)) {
            EarlyExitEvent tooBig = new EarlyExitEvent(Messages.ROWS, Messages.KAPPA);
            Messages.fillEarlyExit(tooBig, 8); // 9 rows of 4 candidates
            assertThrows(IllegalArgumentException.class, () -> channel.offer(tooBig, 0));
            assertEquals(Receipt.TIMED_OUT, channel.receive(new EarlyExitEvent(2, 2), 0, 0));
            assertEquals(1, channel.droppedStaleCount());
            assertTrue(channel.claim(0) != null, "the claim was released");
        }
    }

    @Test
    void mirrorChannelsCarryAFullRoundAndCloseTogether() {
        MirrorChannels channels = MirrorChannels.create(Messages.ROWS - 1, Messages.KAPPA, 4, WaitPolicy.BLOCKING);
        Messages.fillEarlyExit(channels.earlyExits().claim(0), 8); // 9 window rows = 8 draft rows + 1
        channels.earlyExits().publish();
        EarlyExitEvent exit = channels.newEarlyExit();
        assertEquals(Receipt.RECEIVED, channels.earlyExits().receive(exit, 8, 0));
        assertNull(Messages.checkEarlyExit(exit, 8));
        channels.close();
        assertTrue(channels.earlyExits().isClosed() && channels.verdicts().isClosed()
                && channels.proposals().isClosed());
        assertEquals(Receipt.CLOSED, channels.proposals().receive(channels.newProposal(), 0, TokenChannel.FOREVER));
    }
}
