package dev.mirrorsd.pipeline.ring;

/**
 * The three token channels of one Mirror-SD generation, sized together and closed together.
 *
 * <ul>
 *   <li>{@link #earlyExits()}: target to draft, top-kappa per window row after layer l_e;</li>
 *   <li>{@link #verdicts()}: target to draft, accepted depth and correction or bonus;</li>
 *   <li>{@link #proposals()}: draft to target, the next window (a reused branch or a fresh draft).</li>
 * </ul>
 *
 * Closing closes all three, which wakes any waiting thread on either side.
 */
public final class MirrorChannels implements AutoCloseable {

    private final TokenChannel<EarlyExitEvent> earlyExits;
    private final TokenChannel<VerdictEvent> verdicts;
    private final TokenChannel<ProposalEvent> proposals;
    private final int maxDraftRows;
    private final int kappa;
    private final int featureWidth;

    private MirrorChannels(int maxDraftRows, int kappa, int featureWidth, int ringSize, WaitPolicy policy) {
        this.maxDraftRows = Capacity.positive("maxDraftRows", maxDraftRows);
        this.kappa = Capacity.positive("kappa", kappa);
        this.featureWidth = featureWidth;
        earlyExits = TokenChannel.create(() -> new EarlyExitEvent(maxDraftRows + 1, kappa, featureWidth), ringSize,
                policy);
        verdicts = TokenChannel.create(() -> new VerdictEvent(maxDraftRows), ringSize, policy);
        proposals = TokenChannel.create(() -> new ProposalEvent(maxDraftRows), ringSize, policy);
    }

    /**
     * @param maxDraftRows most draft rows in a window (gamma for a chain, the node count for a tree);
     *                     early exits carry one row more (the last committed token)
     * @param kappa        candidates per window row in an early exit
     * @param ringSize     slots per channel, a power of 2
     */
    public static MirrorChannels create(int maxDraftRows, int kappa, int ringSize, WaitPolicy policy) {
        return new MirrorChannels(maxDraftRows, kappa, 0, ringSize, policy);
    }

    /** As above, early exits carrying {@code featureWidth} floats of target features per row. */
    public static MirrorChannels create(int maxDraftRows, int kappa, int featureWidth, int ringSize,
                                        WaitPolicy policy) {
        return new MirrorChannels(maxDraftRows, kappa, featureWidth, ringSize, policy);
    }

    /** A receiver's own early-exit copy, of the channel's capacity. */
    public EarlyExitEvent newEarlyExit() {
        return new EarlyExitEvent(maxDraftRows() + 1, kappa(), featureWidth);
    }

    /** A receiver's own verdict copy, of the channel's capacity. */
    public VerdictEvent newVerdict() {
        return new VerdictEvent(maxDraftRows());
    }

    /** A receiver's own proposal copy, of the channel's capacity. */
    public ProposalEvent newProposal() {
        return new ProposalEvent(maxDraftRows());
    }

    public TokenChannel<EarlyExitEvent> earlyExits() {
        return earlyExits;
    }

    public TokenChannel<VerdictEvent> verdicts() {
        return verdicts;
    }

    public TokenChannel<ProposalEvent> proposals() {
        return proposals;
    }

    public int maxDraftRows() {
        return maxDraftRows;
    }

    public int kappa() {
        return kappa;
    }

    @Override
    public void close() {
        earlyExits.close();
        verdicts.close();
        proposals.close();
    }
}
