package dev.mirrorsd.draft;

import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * {@link ModelMirrorDrafter}'s session: the draft's KV cache, the committed context as the verdicts
 * told it, and the branches rolled out for the round being verified.
 *
 * <p>A round, as the draft sees it (docs/design/mirror-sd.md sections 4 and 5):
 * <ol>
 *   <li>{@link #rollout}: the target's window {@code [y0, x1..xn]} and, per window row, the
 *       early-exit top-kappa: the candidates for the correction (or bonus) at each depth tau. For
 *       every (tau, candidate c) the draft rolls out gamma tokens after {@code x1..x_tau, c}. The
 *       branches share their prefixes, so each draft forward is one tree window over all of them:
 *       the window chain {@code x1..xn} (what the cache lacks of it) with one candidate row hanging
 *       off each depth, and the branches' drafted tokens level by level below the candidates.</li>
 *   <li>{@link #handOver}: the verdict (accepted depth tau, final token y). A branch with depth tau
 *       and candidate y is a hit: its tokens are the next proposal at once, and the cache keeps its
 *       path. Otherwise the {@link MissPolicy} decides: draft afresh after the committed tokens
 *       through the serial {@link ModelDrafter}'s session, which keeps what the cache holds of them,
 *       or propose nothing, so that the target's next window is y alone.</li>
 * </ol>
 *
 * <p>The draft's cache cannot hide cached positions from one another, so a rollout of several
 * forwards re-feeds the branch rows each time and keeps only the last forward's rows; with
 * multi-token heads one forward yields 1 + heads tokens per branch, and gamma <= 1 + heads needs one.
 *
 * <p>Under greedy verification a candidate equal to the draft's own token at that depth cannot be a
 * correction (it would have been accepted), so no branch is rolled out for it. Under sampling the
 * residual distribution can still emit it, so every candidate gets a branch. Branch tokens are drawn
 * from q given the branch's path, independently of the target, and carry q into verification, so
 * reusing one is as lossless as drafting afresh. Every draw here (branch tokens, fresh drafts) takes
 * from the request's draft generator, split off the request's one at its start: independent of the
 * verifier's draws, which happen on the target's thread meanwhile, and reproducible from the seed.
 *
 * <p>Not thread-safe: the draft pipeline's thread owns it.
 */
final class BranchRollouts implements MirrorDraftSession {
    private final DraftCache cache;
    private final Sequence sequence;
    private final DraftSession fresh; // the serial path: a chain after the committed tokens, in this cache
    private final boolean useMultiTokenHeads;
    private final SamplingConfig sampling;
    private final TargetDistribution distribution;
    private final TokenSampler sampler;
    private final int gamma;
    private final MissPolicy missPolicy;
    private final int targetCapacity; // the target's positions: a proposal must fit after the committed tokens

    private final int[] context;     // committed tokens, (capacity)
    private int length;
    private final int[] path;        // rollout: committed tokens then the window's draft rows, (capacity)
    private final int[] scratchContext; // sampling: a branch's path for the repetition penalty, (capacity)

    // the branches of the current rollout, (branches) and (branches, gamma)
    private boolean rolledOut;
    private int windowDraftRows;     // n: draft rows x1..xn of the rolled-out window
    private int keep;                // cache positions before the rollout window
    private int chainRows;           // window rows re-fed from the path (committed tail and x1..xn)
    private int branches;
    private int fedLevels;           // branch token levels inside the cached window
    private int[] branchDepth = new int[0];
    private int[] branchCandidate = new int[0];
    private int[][] branchTokens = new int[0][];
    private float[][][] branchDistributions = new float[0][][]; // sampling only
    private boolean lastHit;
    private boolean awaitingFirstToken; // the target's prefill chose it; the first window brings it

    /**
     * @param cache          the draft's cache, sized for the request and one rollout window; closed
     *                       with the session
     * @param serial         drafts afresh on a miss, in {@code cache}
     * @param targetCapacity most positions the request will reach on the target
     */
    BranchRollouts(DraftCache cache, ModelDrafter serial, int[] draftToTarget, int targetVocab,
                   boolean useMultiTokenHeads, SamplingConfig sampling, RandomGenerator random, int gamma, MissPolicy missPolicy,
                   int targetCapacity) {
        if (gamma < 1) {
            throw new IllegalArgumentException("gamma must be >= 1, got " + gamma);
        }
        this.cache = cache;
        this.sequence = cache.sequence();
        this.useMultiTokenHeads = useMultiTokenHeads;
        this.sampling = sampling;
        this.distribution = new TargetDistribution(draftToTarget, targetVocab, sampling);
        // the request's draft generator: the draft thread's own, independent of the verifier's draws
        this.sampler = TokenSampler.over(random);
        this.fresh = serial.openOn(cache, sampling, sampler);
        this.gamma = gamma;
        this.missPolicy = missPolicy;
        this.targetCapacity = targetCapacity;
        int capacity = sequence.capacity();
        this.context = new int[capacity];
        this.path = new int[capacity];
        this.scratchContext = sampling.isGreedy() ? null : new int[capacity];
    }

    /** Feeds the prompt now, so that the first rollout feeds only the prefill's token. */
    @Override
    public void prefill(int[] prompt) {
        if (length != 0) {
            throw new IllegalStateException("prefill starts a request; this one holds " + length + " tokens");
        }
        requireRoom(prompt.length);
        System.arraycopy(prompt, 0, context, 0, prompt.length);
        length = prompt.length;
        sequence.truncate(0);
        try (ForwardPass pass = sequence.begin(Window.chain(prompt, 0))) {
            pass.runTo(pass.layers());
        }
        cache.holds(0, prompt, 0, prompt.length);
        awaitingFirstToken = true;
    }

    /** Rolls out the branches of one round: every draft forward is one tree window over all of them. */
    @Override
    public void rollout(EarlyExitMessage message) {
        int committed = pendingCommitted(message.windowToken(0));
        int rows = message.rows();
        int kappa = message.kappa();
        int n = rows - 1;
        if (committed + n >= sequence.capacity()) {
            throw new IllegalStateException("the draft's cache of " + sequence.capacity() + " positions cannot take"
                    + " a window of " + rows + " rows after " + committed);
        }
        System.arraycopy(context, 0, path, 0, committed);
        for (int i = 0; i < n; i++) {
            path[committed + i] = message.windowToken(i + 1);
        }
        keep = Math.min(cache.commonPrefix(path, committed + n), committed);
        chainRows = committed + n - keep;
        windowDraftRows = n;

        branches = 0;
        ensureBranchCapacity(rows * kappa);
        for (int depth = 0; depth <= n; depth++) {
            for (int rank = 0; rank < kappa; rank++) {
                int c = message.candidate(depth, rank);
                if (sampling.isGreedy() && depth < n && c == path[committed + depth]) {
                    continue; // greedy verification accepts it: never a correction
                }
                branchDepth[branches] = depth;
                branchCandidate[branches] = c;
                branches++;
            }
        }
        // near the end of the context the deepest, least likely branches give way
        branches = Math.min(branches, (sequence.capacity() - committed - n) / gamma);
        if (branches == 0) {
            rolledOut = false; // the verdict then drafts afresh
            return;
        }

        int produced = 0;
        while (produced < gamma) {
            sequence.truncate(keep);
            fedLevels = produced;
            int leafStart = chainRows + produced * branches;
            try (ForwardPass pass = sequence.begin(rolloutWindow(committed, produced))) {
                pass.runTo(pass.layers());
                int heads = useMultiTokenHeads ? pass.multiTokenHeads() : 0;
                int perForward = Math.min(1 + heads, gamma - produced);
                for (int h = 0; h < perForward; h++) {
                    Logits logits = h == 0 ? pass.logits(leafStart) : pass.multiTokenLogits(h - 1, leafStart);
                    for (int b = 0; b < branches; b++) {
                        choose(b, produced + h, logits, b, committed);
                    }
                }
                produced += perForward;
            }
        }
        rolledOut = true;
    }

    /**
     * The verdict of the rolled-out round; returns the next proposal: the matching branch's tokens on
     * a hit; on a miss a fresh chain of gamma tokens, or under {@link MissPolicy#TARGET_STEP} an
     * empty one. Either is cut to what fits: the target's next window, the last committed token and
     * the draft rows, must fit after the committed tokens but the newest.
     */
    @Override
    public DraftProposal handOver(Verdict verdict) {
        int[] emitted = verdict.tokens();
        int count = emitted.length;
        int accepted = count - 1;
        int y = emitted[accepted];
        int hit = -1;
        if (rolledOut) {
            if (accepted > windowDraftRows) {
                throw new IllegalStateException("verdict accepts " + accepted + " tokens of a window of "
                        + windowDraftRows + " draft rows");
            }
            int committed = length;
            for (int i = 0; i < accepted; i++) {
                if (emitted[i] != path[committed + i]) {
                    throw new IllegalStateException("verdict accepts token " + emitted[i] + " at depth " + i
                            + " where the window held " + path[committed + i]);
                }
            }
            for (int b = 0; b < branches && hit < 0; b++) {
                if (branchDepth[b] == accepted && branchCandidate[b] == y) {
                    hit = b;
                }
            }
            keepBranchPath(committed, accepted, hit);
        }
        requireRoom(count);
        System.arraycopy(emitted, 0, context, length, count);
        length += count;
        rolledOut = false;
        lastHit = hit >= 0;
        int rows = Math.min(gamma, Math.min(targetCapacity - length, sequence.capacity() - length));
        if (rows <= 0 || (!lastHit && missPolicy == MissPolicy.TARGET_STEP)) {
            return DraftProposal.chain();
        }
        if (lastHit) {
            int[] tokens = Arrays.copyOf(branchTokens[hit], rows);
            float[][] q = sampling.isGreedy() ? null : Arrays.copyOf(branchDistributions[hit], rows);
            return DraftProposal.chain(tokens, q);
        }
        return fresh.propose(context, length, rows);
    }

    @Override
    public boolean lastWasHit() {
        return lastHit;
    }

    @Override
    public void close() {
        fresh.close();
        cache.close();
    }

    // ---- rollout internals ----------------------------------------------------------------------

    /** The committed length the next window starts from; its first row must be the last committed token. */
    private int pendingCommitted(int windowFirst) {
        if (awaitingFirstToken) {
            requireRoom(1);
            context[length++] = windowFirst;
            awaitingFirstToken = false;
        }
        if (length == 0 || context[length - 1] != windowFirst) {
            throw new IllegalStateException("the window starts with token " + windowFirst
                    + " but the last committed token the draft knows is "
                    + (length == 0 ? "none" : String.valueOf(context[length - 1])));
        }
        return length;
    }

    /**
     * Rows: the path's uncached tail (a chain), one candidate row per branch hanging off its depth,
     * then {@code produced} levels of branch tokens, one row per branch each.
     */
    private Window rolloutWindow(int committed, int produced) {
        int size = chainRows + branches * (1 + produced);
        int[] tokens = new int[size];
        int[] parents = new int[size];
        for (int r = 0; r < chainRows; r++) {
            tokens[r] = path[keep + r];
            parents[r] = r - 1;
        }
        for (int b = 0; b < branches; b++) {
            int row = chainRows + b;
            tokens[row] = branchCandidate[b];
            // the node after depth tau is path index committed - 1 + tau, cached or a chain row
            parents[row] = committed - 1 + branchDepth[b] - keep;
            for (int level = 1; level <= produced; level++) {
                int at = chainRows + level * branches + b;
                tokens[at] = branchTokens[b][level - 1];
                parents[at] = at - branches;
            }
        }
        return Window.tree(tokens, parents, keep);
    }

    private void choose(int branch, int index, Logits logits, int row, int committed) {
        int contextLength = 0;
        if (scratchContext != null) {
            int depth = branchDepth[branch];
            System.arraycopy(path, 0, scratchContext, 0, committed + depth);
            contextLength = committed + depth;
            scratchContext[contextLength++] = branchCandidate[branch];
            System.arraycopy(branchTokens[branch], 0, scratchContext, contextLength, index);
            contextLength += index;
        }
        if (sampling.isGreedy()) {
            branchTokens[branch][index] = distribution.argmax(logits, row);
            return;
        }
        float[] q = distribution.of(logits, row, scratchContext, contextLength);
        branchTokens[branch][index] = sampler.sample(q);
        branchDistributions[branch][index] = q;
    }

    /** Keeps in the cache the accepted part of the window and, on a hit, the branch's fed rows. */
    private void keepBranchPath(int committed, int accepted, int hit) {
        int pathRows = committed + accepted - keep; // chain rows up to x_accepted
        int[] kept = new int[pathRows + (hit < 0 ? 0 : 1 + fedLevels)];
        for (int r = 0; r < pathRows; r++) {
            kept[r] = r;
        }
        int cachedLength = committed + accepted;
        cache.holds(keep, path, keep, cachedLength - keep);
        if (hit >= 0) {
            kept[pathRows] = chainRows + hit;
            cache.holds(cachedLength++, branchCandidate[hit]);
            for (int level = 1; level <= fedLevels; level++) {
                kept[pathRows + level] = chainRows + level * branches + hit;
                cache.holds(cachedLength++, branchTokens[hit][level - 1]);
            }
        }
        sequence.compact(keep, kept);
    }

    private void ensureBranchCapacity(int most) {
        if (branchDepth.length < most) {
            branchDepth = new int[most];
            branchCandidate = new int[most];
            branchTokens = new int[most][gamma];
            branchDistributions = new float[most][gamma][];
        }
    }

    private void requireRoom(int more) {
        if (length + more > sequence.capacity()) {
            throw new IllegalStateException("the draft's cache of " + sequence.capacity() + " positions cannot take "
                    + more + " more after " + length);
        }
    }
}
