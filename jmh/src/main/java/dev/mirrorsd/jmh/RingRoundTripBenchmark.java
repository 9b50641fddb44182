package dev.mirrorsd.jmh;

import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.pipeline.ring.EarlyExitEvent;
import dev.mirrorsd.pipeline.ring.Receipt;
import dev.mirrorsd.pipeline.ring.TokenChannel;
import dev.mirrorsd.pipeline.ring.VerdictEvent;
import dev.mirrorsd.pipeline.ring.WaitPolicy;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * One Mirror-SD round trip over the token channel: the target publishes an EarlyExitEvent (gamma 8:
 * 9 window rows, kappa 4), the draft receives it and publishes a VerdictEvent of the same round
 * back, the target receives that. Sample mode gives the median and tail.
 *
 * <p>The draft side is a dedicated thread started per trial (not a JMH {@code @Group} thread):
 * the target waits for the verdict of its own round, so nothing is left in flight between JMH
 * iterations and no side can hang at an iteration's end. For pinned cores run under {@code taskset}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
@Threads(1)
@Fork(1)
public class RingRoundTripBenchmark {

    private static final int ROWS = 9;
    private static final int KAPPA = 4;
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

    @Param({"BUSY_SPIN", "YIELDING", "BLOCKING"})
    public WaitPolicy policy;

    /** Window rows carried per early exit: 9 (gamma 8); 1 shows the cost of the handoff alone. */
    @Param({"9"})
    public int rows;

    private TokenChannel<EarlyExitEvent> exits;
    private TokenChannel<VerdictEvent> verdicts;
    private Thread draft;
    private final VerdictEvent verdict = new VerdictEvent(ROWS);
    private long round;

    @Setup(Level.Trial)
    public void start() {
        exits = TokenChannel.create(() -> new EarlyExitEvent(ROWS, KAPPA), 8, policy);
        verdicts = TokenChannel.create(() -> new VerdictEvent(ROWS), 8, policy);
        draft = new Thread(this::echo, "draft");
        draft.setDaemon(true);
        draft.start();
    }

    /** The draft: answers every early exit with a verdict of the same round. */
    private void echo() {
        EarlyExitEvent exit = new EarlyExitEvent(ROWS, KAPPA);
        int[] acceptedRows = {0, 1, 2};
        int[] emitted = new int[4];
        while (true) {
            Receipt receipt = exits.receive(exit, 0, TokenChannel.FOREVER);
            if (receipt == Receipt.CLOSED) {
                return;
            }
            emitted[3] = exit.token(exit.rows() - 1, 0);
            VerdictEvent slot = verdicts.claim(TIMEOUT_NANOS);
            if (slot == null) {
                return;
            }
            slot.set(exit.roundId(), acceptedRows, 3, emitted, Verdict.Ending.CORRECTION);
            verdicts.publish();
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        exits.close();
        verdicts.close();
        draft.join(TimeUnit.SECONDS.toMillis(5));
    }

    @Benchmark
    public int roundTrip() {
        long r = round++;
        EarlyExitEvent slot = exits.claim(TIMEOUT_NANOS);
        slot.begin(r, rows, KAPPA);
        for (int row = 0; row < rows; row++) {
            slot.setWindowRow(row, row + 100, row - 1);
            for (int k = 0; k < KAPPA; k++) {
                slot.setCandidate(row, k, (int) (r + row * KAPPA + k), -0.5f * k);
            }
        }
        exits.publish();
        if (verdicts.receive(verdict, r, TIMEOUT_NANOS) != Receipt.RECEIVED) {
            throw new IllegalStateException("no verdict for round " + r);
        }
        return verdict.finalToken();
    }
}
