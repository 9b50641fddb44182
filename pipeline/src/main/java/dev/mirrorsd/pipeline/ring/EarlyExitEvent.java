package dev.mirrorsd.pipeline.ring;

/**
 * Target to draft, mid-verification (Mirror-SD's message M_t): after layer l_e, the top-kappa
 * (token, log-prob) pairs of the early-exit proxy distribution at every position of the
 * verification window.
 *
 * <p>The window is the target's {@code [last committed token, draft rows 0..n-1]}: window row 0
 * is the last committed token (parent -1), window row {@code r + 1} is draft row {@code r}, whose
 * parent window row is {@code draftParent + 1}. Candidates of window row i are what the target's
 * early exit predicts <em>after</em> row i, i.e. the candidate correction (or bonus) tokens at
 * depth "row i accepted". Candidates are ordered best first.
 *
 * <p>For a draft that reads the target's hidden states, the message also carries each window
 * row's features: the residual stream at the draft's feature layers, all at or below l_e, so the
 * target has them by the time it sends the message.
 *
 * <p>Preallocated for {@code maxRows} rows, {@code maxKappa} candidates and {@code maxFeatureWidth}
 * floats of features per row, and reused forever;
 * setters copy in, getters read single entries, {@code copy...To} copy out: no allocation. Not
 * thread-safe: the channel hands it from one thread to the other.
 */
public final class EarlyExitEvent implements RoundMessage<EarlyExitEvent> {

    private final int maxRows;
    private final int maxKappa;
    private final int[] windowTokens;  // (maxRows) token at window row i
    private final int[] windowParents; // (maxRows) parent window row, -1 for row 0
    private final int[] tokens;        // (maxRows * maxKappa) row-major (rows, kappa): candidate ids
    private final float[] logProbs;    // (maxRows * maxKappa) row-major (rows, kappa): natural-log probabilities
    private final int maxFeatureWidth;
    private final float[] features;    // (maxRows * maxFeatureWidth) row-major (rows, featureWidth)
    private long roundId = -1;
    private int rows;
    private int kappa;
    private int featureWidth;

    /** A message without features. */
    public EarlyExitEvent(int maxRows, int maxKappa) {
        this(maxRows, maxKappa, 0);
    }

    public EarlyExitEvent(int maxRows, int maxKappa, int maxFeatureWidth) {
        this.maxRows = Capacity.positive("maxRows", maxRows);
        this.maxKappa = Capacity.positive("maxKappa", maxKappa);
        if (maxFeatureWidth < 0) {
            throw new IllegalArgumentException("maxFeatureWidth must be >= 0, got " + maxFeatureWidth);
        }
        this.maxFeatureWidth = maxFeatureWidth;
        windowTokens = new int[maxRows];
        windowParents = new int[maxRows];
        tokens = new int[maxRows * maxKappa];
        logProbs = new float[maxRows * maxKappa];
        features = new float[maxRows * maxFeatureWidth];
    }

    /**
     * Starts a message in place: sets the header; fill the rows with {@link #setWindowRow} and
     * {@link #setCandidate}. Old content beyond what is then written is undefined.
     */
    public EarlyExitEvent begin(long roundId, int rows, int kappa) {
        Capacity.fits("rows", rows, maxRows);
        Capacity.fits("kappa", kappa, maxKappa);
        this.roundId = roundId;
        this.rows = rows;
        this.kappa = kappa;
        this.featureWidth = 0;
        return this;
    }

    /**
     * Copies in the features of every row of the message begun: {@code (rows, width)} row-major
     * from {@code source}. Call after {@link #begin}.
     */
    public void setFeatures(float[] source, int width) {
        Capacity.fits("featureWidth", width, maxFeatureWidth);
        Capacity.holds("source", source.length, rows * width);
        System.arraycopy(source, 0, features, 0, rows * width);
        featureWidth = width;
    }

    /** Floats of features per row; 0 when the message carries none. */
    public int featureWidth() {
        return featureWidth;
    }

    /** Copies the {@code (rows * featureWidth)} features, row-major, into {@code dst}. */
    public void copyFeaturesTo(float[] dst) {
        Capacity.holds("dst", dst.length, rows * featureWidth);
        System.arraycopy(features, 0, dst, 0, rows * featureWidth);
    }

    public void setWindowRow(int row, int token, int parentRow) {
        windowTokens[row] = token;
        windowParents[row] = parentRow;
    }

    /** Sets the {@code rank}-th best candidate after window row {@code row}. */
    public void setCandidate(int row, int rank, int token, float logProb) {
        tokens[row * kappa + rank] = token;
        logProbs[row * kappa + rank] = logProb;
    }

    /**
     * Copies a whole message in.
     *
     * @param windowTokens  {@code (rows)} tokens of the window
     * @param windowParents {@code (rows)} parent window rows, -1 for row 0
     * @param topTokens     {@code (rows * kappa)} row-major candidate tokens, best first
     * @param topLogProbs   {@code (rows * kappa)} row-major candidate log-probs
     */
    public void set(long roundId, int rows, int kappa, int[] windowTokens, int[] windowParents, int[] topTokens,
                    float[] topLogProbs) {
        Capacity.holds("windowTokens", windowTokens.length, rows);
        Capacity.holds("windowParents", windowParents.length, rows);
        Capacity.holds("topTokens", topTokens.length, rows * kappa);
        Capacity.holds("topLogProbs", topLogProbs.length, rows * kappa);
        begin(roundId, rows, kappa); // checks against the capacity before changing anything
        System.arraycopy(windowTokens, 0, this.windowTokens, 0, rows);
        System.arraycopy(windowParents, 0, this.windowParents, 0, rows);
        System.arraycopy(topTokens, 0, this.tokens, 0, rows * kappa);
        System.arraycopy(topLogProbs, 0, this.logProbs, 0, rows * kappa);
    }

    @Override
    public void copyFrom(EarlyExitEvent source) {
        set(source.roundId, source.rows, source.kappa, source.windowTokens, source.windowParents, source.tokens,
                source.logProbs);
        if (source.featureWidth > 0) {
            setFeatures(source.features, source.featureWidth);
        }
    }

    @Override
    public long roundId() {
        return roundId;
    }

    /** Window rows: draft rows + 1. */
    public int rows() {
        return rows;
    }

    /** Candidates per row. */
    public int kappa() {
        return kappa;
    }

    public int windowToken(int row) {
        return windowTokens[row];
    }

    public int windowParent(int row) {
        return windowParents[row];
    }

    public int token(int row, int rank) {
        return tokens[row * kappa + rank];
    }

    public float logProb(int row, int rank) {
        return logProbs[row * kappa + rank];
    }

    /** Copies the {@code (rows * kappa)} candidate tokens, row-major, into {@code dst}. */
    public void copyTokensTo(int[] dst) {
        Capacity.holds("dst", dst.length, rows * kappa);
        System.arraycopy(tokens, 0, dst, 0, rows * kappa);
    }

    /** Copies the {@code (rows * kappa)} candidate log-probs, row-major, into {@code dst}. */
    public void copyLogProbsTo(float[] dst) {
        Capacity.holds("dst", dst.length, rows * kappa);
        System.arraycopy(logProbs, 0, dst, 0, rows * kappa);
    }

    /** Copies the {@code (rows)} window tokens and parents into {@code tokensDst} and {@code parentsDst}. */
    public void copyWindowTo(int[] tokensDst, int[] parentsDst) {
        Capacity.holds("tokensDst", tokensDst.length, rows);
        Capacity.holds("parentsDst", parentsDst.length, rows);
        System.arraycopy(windowTokens, 0, tokensDst, 0, rows);
        System.arraycopy(windowParents, 0, parentsDst, 0, rows);
    }

    public int maxRows() {
        return maxRows;
    }

    public int maxKappa() {
        return maxKappa;
    }

    public int maxFeatureWidth() {
        return maxFeatureWidth;
    }

    @Override
    public String toString() {
        return "EarlyExitEvent[round=" + roundId + ", rows=" + rows + ", kappa=" + kappa + "]";
    }
}
