package dev.mirrorsd.pipeline.ring;

import dev.mirrorsd.core.speculative.Verdict;
import java.util.Objects;

/**
 * Target to draft, at the end of a round: the outcome of verification, in {@link Verdict}'s
 * vocabulary. Emitted tokens = the accepted draft tokens in order, then one final token (the
 * correction at the first rejection, or the bonus after a fully accepted path); so
 * {@code emittedCount() == acceptedCount() + 1}. The draft reuses a precomputed branch if its
 * prefix equals the accepted tokens and its node at that depth equals {@link #finalToken()}.
 *
 * <p>Preallocated for up to {@code maxAccepted} accepted rows and reused forever; no allocation.
 * Not thread-safe: the channel hands it from one thread to the other.
 */
public final class VerdictEvent implements RoundMessage<VerdictEvent> {

    private final int maxAccepted;
    private final int[] acceptedRows; // (maxAccepted) accepted draft rows, root to leaf
    private final int[] tokens;       // (maxAccepted + 1) emitted tokens: accepted, then the final one
    private long roundId = -1;
    private int accepted;
    private Verdict.Ending ending = Verdict.Ending.CORRECTION;

    public VerdictEvent(int maxAccepted) {
        this.maxAccepted = Capacity.positive("maxAccepted", maxAccepted);
        acceptedRows = new int[maxAccepted];
        tokens = new int[maxAccepted + 1];
    }

    /**
     * Copies a verdict in.
     *
     * @param acceptedRows {@code (accepted)} accepted draft rows, root to leaf
     * @param accepted     accepted draft tokens (the depth tau)
     * @param emitted      {@code (accepted + 1)} emitted tokens
     */
    public void set(long roundId, int[] acceptedRows, int accepted, int[] emitted, Verdict.Ending ending) {
        Capacity.fits("accepted", accepted, maxAccepted);
        Capacity.holds("acceptedRows", acceptedRows.length, accepted);
        Capacity.holds("emitted", emitted.length, accepted + 1);
        Objects.requireNonNull(ending, "ending");
        this.roundId = roundId;
        this.accepted = accepted;
        this.ending = ending;
        System.arraycopy(acceptedRows, 0, this.acceptedRows, 0, accepted);
        System.arraycopy(emitted, 0, this.tokens, 0, accepted + 1);
    }

    @Override
    public void copyFrom(VerdictEvent source) {
        set(source.roundId, source.acceptedRows, source.accepted, source.tokens, source.ending);
    }

    @Override
    public long roundId() {
        return roundId;
    }

    /** Accepted draft tokens: the accepted depth tau. */
    public int acceptedCount() {
        return accepted;
    }

    /** Emitted tokens: {@code acceptedCount() + 1} (Spec-Bench's accept length). */
    public int emittedCount() {
        return accepted + 1;
    }

    public int acceptedRow(int i) {
        return acceptedRows[i];
    }

    public int emittedToken(int i) {
        return tokens[i];
    }

    /** The correction or bonus token. */
    public int finalToken() {
        return tokens[accepted];
    }

    public Verdict.Ending ending() {
        return ending;
    }

    /** Copies the {@code (accepted)} accepted rows into {@code dst}. */
    public void copyAcceptedRowsTo(int[] dst) {
        Capacity.holds("dst", dst.length, accepted);
        System.arraycopy(acceptedRows, 0, dst, 0, accepted);
    }

    /** Copies the {@code (accepted + 1)} emitted tokens into {@code dst}. */
    public void copyEmittedTo(int[] dst) {
        Capacity.holds("dst", dst.length, accepted + 1);
        System.arraycopy(tokens, 0, dst, 0, accepted + 1);
    }

    public int maxAccepted() {
        return maxAccepted;
    }

    @Override
    public String toString() {
        return "VerdictEvent[round=" + roundId + ", accepted=" + accepted + ", final=" + finalToken() + ", " + ending
                + "]";
    }
}
