package dev.mirrorsd.pipeline.ring;

/**
 * Draft to target: the next verification window, a chain or a tree of draft rows in
 * {@link dev.mirrorsd.core.speculative.DraftProposal}'s layout (parents before children, -1 for a
 * child of the last committed token), e.g. a precomputed branch reused on a hit.
 *
 * <p>The draft distributions (vocabulary-sized, one per row, needed only for sampling) do not
 * travel through the ring: {@link #distributionsHandle()} names the slot of a store the draft owns
 * and the target reads, or is {@link #NO_DISTRIBUTIONS} when every token was chosen
 * deterministically (greedy).
 *
 * <p>Preallocated for {@code maxRows} rows and reused forever; no allocation. Not thread-safe: the
 * channel hands it from one thread to the other.
 */
public final class ProposalEvent implements RoundMessage<ProposalEvent> {

    /** Handle of a proposal whose tokens are all deterministic (point masses). */
    public static final int NO_DISTRIBUTIONS = -1;

    private final int maxRows;
    private final int[] tokens;  // (maxRows) draft token per row
    private final int[] parents; // (maxRows) parent row, -1 for the root's children
    private long roundId = -1;
    private int rows;
    private int distributionsHandle = NO_DISTRIBUTIONS;

    public ProposalEvent(int maxRows) {
        this.maxRows = Capacity.positive("maxRows", maxRows);
        tokens = new int[maxRows];
        parents = new int[maxRows];
    }

    /**
     * Copies a proposal in.
     *
     * @param tokens              {@code (rows)} draft tokens
     * @param parents             {@code (rows)} parent rows, {@code -1 <= parents[r] < r}
     * @param distributionsHandle slot of the draft distributions, or {@link #NO_DISTRIBUTIONS}
     */
    public void set(long roundId, int rows, int[] tokens, int[] parents, int distributionsHandle) {
        Capacity.fits("rows", rows, maxRows);
        Capacity.holds("tokens", tokens.length, rows);
        Capacity.holds("parents", parents.length, rows);
        this.roundId = roundId;
        this.rows = rows;
        this.distributionsHandle = distributionsHandle;
        System.arraycopy(tokens, 0, this.tokens, 0, rows);
        System.arraycopy(parents, 0, this.parents, 0, rows);
    }

    @Override
    public void copyFrom(ProposalEvent source) {
        set(source.roundId, source.rows, source.tokens, source.parents, source.distributionsHandle);
    }

    @Override
    public long roundId() {
        return roundId;
    }

    public int rows() {
        return rows;
    }

    public int token(int row) {
        return tokens[row];
    }

    public int parent(int row) {
        return parents[row];
    }

    public int distributionsHandle() {
        return distributionsHandle;
    }

    /** Copies the {@code (rows)} tokens and parents into {@code tokensDst} and {@code parentsDst}. */
    public void copyTo(int[] tokensDst, int[] parentsDst) {
        Capacity.holds("tokensDst", tokensDst.length, rows);
        Capacity.holds("parentsDst", parentsDst.length, rows);
        System.arraycopy(tokens, 0, tokensDst, 0, rows);
        System.arraycopy(parents, 0, parentsDst, 0, rows);
    }

    public int maxRows() {
        return maxRows;
    }

    @Override
    public String toString() {
        return "ProposalEvent[round=" + roundId + ", rows=" + rows + ", handle=" + distributionsHandle + "]";
    }
}
