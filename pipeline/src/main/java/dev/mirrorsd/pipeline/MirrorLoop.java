package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.draft.MirrorDrafter;
import dev.mirrorsd.draft.MissPolicy;
import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;
import dev.mirrorsd.pipeline.ring.EarlyExitEvent;
import dev.mirrorsd.pipeline.ring.MirrorChannels;
import dev.mirrorsd.pipeline.ring.ProposalEvent;
import dev.mirrorsd.pipeline.ring.Receipt;
import dev.mirrorsd.pipeline.ring.VerdictEvent;
import dev.mirrorsd.target.mirror.EarlyExitCandidates;

import java.util.random.RandomGenerator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirror speculative decoding (docs/design/mirror-sd.md sections 3 to 5): the target pipeline, on the caller's thread,
 * and the {@link DraftPipeline} on its own, linked by three token channels.
 *
 * <p>A round of the target: the window {@code [last committed token, draft chain]} runs to layer
 * l_e; the early-exit proxy's top-kappa per row goes to the draft; the remaining layers run while
 * the draft rolls out a branch after each candidate; the verdict goes to the draft, which answers
 * with the next proposal at once on a hit, and on a miss after drafting afresh ({@link
 * MissPolicy#REDRAFT}) or at once with no draft rows, the target's next window then being its own
 * token alone ({@link MissPolicy#TARGET_STEP}). Critical path: prefix + max(suffix, rollouts) +
 * verify (+ a fresh draft on a miss under REDRAFT).
 *
 * <p>Lossless as serial speculative decoding is: every emitted token comes from the target's own
 * verification of the window it ran; the draft only decides which window that is.
 *
 * <p>If the draft pipeline fails or sends no proposal within the timeout, the target finishes the
 * request alone, keeping every committed token, and the failure shows in the statistics.
 */
final class MirrorLoop implements DecodingLoop {
    private static final Logger LOG = LoggerFactory.getLogger(MirrorLoop.class);
    /** How long closing waits for the draft thread to leave a forward pass it is in. */
    private static final long JOIN_MILLIS = 10_000;

    private final MirrorOptions options;
    private final WindowVerification verification;
    private final EarlyExitCandidates candidates;
    private final MirrorChannels channels;
    private final DraftPipeline draft;
    private final Thread draftThread;
    private final Profiler profiler;
    private final ProposalEvent proposal;
    private final int[] topTokens;      // (window rows * kappa) this round's early-exit candidates
    private final float[] topLogProbs;  // (window rows * kappa)
    private final long[] suffixStart;   // (rounds) by round id
    private final long[] suffixEnd;
    private final FeatureTap features; // null: the draft reads tokens only
    private long round;
    private int mirrorRounds;
    private int hits;
    private long proposalWaitNanos;
    private boolean closed;

    /**
     * Starts the draft pipeline, which prefills the prompt while the caller runs the target's prefill.
     *
     * @param draftRandom the request's draft generator, for the draft thread's draws alone
     */
    MirrorLoop(MirrorDrafter drafter, MirrorOptions options, GenerationConfig config, int[] prompt, int capacity,
               WindowVerification verification, RandomGenerator draftRandom, Profiler profiler, int hiddenSize) {
        int gamma = config.numAssistantTokens();
        this.options = options;
        this.verification = verification;
        this.profiler = profiler;
        int[] layers = drafter.featureLayers();
        this.features = layers.length == 0 ? null : new FeatureTap(layers, hiddenSize);
        this.channels = MirrorChannels.create(gamma, options.kappa(), features == null ? 0 : features.width(),
                options.ringSize(), options.waitPolicy());
        this.candidates = new EarlyExitCandidates(options.kappa(),
                options.narrowEarlyExit() ? drafter.draftVocabulary() : null);
        this.proposal = channels.newProposal();
        this.topTokens = new int[(gamma + 1) * options.kappa()];
        this.topLogProbs = new float[(gamma + 1) * options.kappa()];
        int maxRounds = config.maxNewTokens() + 1;
        this.suffixStart = new long[maxRounds + 2];
        this.suffixEnd = new long[maxRounds + 2];
        this.draft = new DraftPipeline(drafter, channels, config.sampling(), draftRandom, gamma,
                options.missPolicy(), prompt, capacity, maxRounds, profiler);
        this.draftThread = new Thread(draft, "mirror-draft");
        draftThread.setDaemon(true); // a hung draft must not keep the JVM alive
        draftThread.start();
    }

    /** The target's prefill; a feature draft is then handed the prompt's features, which it waits for. */
    @Override
    public Logits prefill(Sequence target, int[] prompt) {
        if (features == null) {
            return DecodingLoop.super.prefill(target, prompt);
        }
        try {
            Logits logits = features.prefill(target, prompt);
            if (features.failure() == null) {
                draft.promptFeatures(java.util.Arrays.copyOf(features.features(), prompt.length * features.width()),
                        features.width());
            } else {
                draft.noPromptFeatures(features.failure());
            }
            return logits;
        } catch (RuntimeException e) {
            draft.noPromptFeatures("the target's prefill failed: " + e);
            throw e;
        }
    }

    @Override
    public void run(Sequence target, CommittedOutput output, RoundStats stats, Cancellation cancellation) {
        boolean live = true;
        DraftProposal next = DraftProposal.chain(); // round 1 verifies the prefill's token alone
        try {
            while (!output.done()) {
                if (cancellation.isCancelled()) {
                    output.cancel();
                    return;
                }
                round++;
                DraftProposal window = next.firstRows(WindowVerification.room(target));
                int base = target.length();
                Window rows = WindowVerification.window(output, window, base);
                boolean mirrored = live;
                Logits logits;
                long start = System.nanoTime();
                try (ForwardPass pass = target.begin(rows)) {
                    long prefixEnd = start;
                    if (mirrored && features != null && !features.capture(pass, rows.size())) {
                        mirrored = false; // no features: the draft cannot follow, the target goes on alone
                        live = false;
                        abandonDraft(stats);
                        stats.draftFailure = features.failure();
                    }
                    if (mirrored) {
                        pass.runTo(options.exitLayer());
                        int[] vocabulary = candidates.vocabulary();
                        candidates.select(vocabulary == null ? pass.logits(0) : pass.logits(0, vocabulary), topTokens,
                                topLogProbs);
                        // read before the message is out, so the draft's rollout can only begin after it
                        prefixEnd = System.nanoTime();
                        live = publishEarlyExit(rows);
                        if (!live) {
                            abandonDraft(stats);
                        }
                    }
                    pass.runTo(pass.layers());
                    logits = pass.logits(0);
                    long end = System.nanoTime();
                    if (!mirrored) {
                        span(Phase.TARGET_FORWARD, start, end);
                    } else {
                        span(Phase.TARGET_PREFIX, start, prefixEnd);
                        span(Phase.TARGET_SUFFIX, prefixEnd, end);
                    }
                    if (mirrored && round < suffixStart.length) {
                        suffixStart[(int) round] = prefixEnd;
                        suffixEnd[(int) round] = end;
                    }
                }
                long verifyStart = System.nanoTime();
                Verdict verdict = verification.verifyAndCommit(target, base, logits, window, output, stats);
                long verifyEnd = System.nanoTime();
                span(Phase.VERIFY, verifyStart, verifyEnd);
                if (mirrored && live) {
                    mirrorRounds++;
                    if (inEarlyExit(verdict)) {
                        hits++;
                    }
                }
                next = DraftProposal.chain();
                if (live && !output.done() && publishVerdict(verdict)) {
                    DraftProposal received = receiveProposal(stats);
                    long arrived = System.nanoTime();
                    proposalWaitNanos += arrived - verifyEnd;
                    span(Phase.RING_TRANSFER, verifyEnd, arrived);
                    if (received != null) {
                        next = received;
                        continue;
                    }
                }
                if (live && !output.done()) {
                    // the draft failed, closed or timed out: the target goes on alone
                    live = false;
                    abandonDraft(stats);
                }
            }
        } finally {
            close();
            if (draft.failure() != null && stats.draftFailure == null) {
                stats.draftFailure = draft.failure().toString();
            }
            stats.mirror = statistics();
        }
    }

    /** Fills the early-exit slot in place: window rows and their top-kappa. False if the draft is gone. */
    private boolean publishEarlyExit(Window rows) {
        EarlyExitEvent slot = channels.earlyExits().claim(options.proposalTimeout().toNanos());
        if (slot == null) {
            return false;
        }
        int kappa = candidates.kappa();
        slot.begin(round, rows.size(), kappa);
        for (int row = 0; row < rows.size(); row++) {
            slot.setWindowRow(row, rows.tokens()[row], rows.parents()[row]);
            for (int k = 0; k < kappa; k++) {
                slot.setCandidate(row, k, topTokens[row * kappa + k], topLogProbs[row * kappa + k]);
            }
        }
        if (features != null) {
            slot.setFeatures(features.features(), features.width());
        }
        channels.earlyExits().publish();
        return true;
    }

    private boolean publishVerdict(Verdict verdict) {
        VerdictEvent slot = channels.verdicts().claim(options.proposalTimeout().toNanos());
        if (slot == null) {
            return false;
        }
        slot.set(round, verdict.acceptedRows(), verdict.acceptedCount(), verdict.tokens(), verdict.ending());
        channels.verdicts().publish();
        return true;
    }

    /** The next round's proposal, or null if the draft failed, closed or timed out. */
    private DraftProposal receiveProposal(RoundStats stats) {
        Receipt receipt = channels.proposals().receive(proposal, round + 1, options.proposalTimeout().toNanos());
        if (receipt == Receipt.TIMED_OUT) {
            stats.draftFailure = "draft pipeline sent no proposal within " + options.proposalTimeout().toMillis()
                    + " ms";
            LOG.warn("{}; finishing the request on the target alone", stats.draftFailure);
            return null;
        }
        if (receipt != Receipt.RECEIVED) {
            return null;
        }
        int rows = proposal.rows();
        int[] tokens = new int[rows];
        int[] parents = new int[rows];
        proposal.copyTo(tokens, parents);
        float[][] q = null;
        if (proposal.distributionsHandle() != ProposalEvent.NO_DISTRIBUTIONS) {
            DraftProposal drafted = draft.distributions(proposal.distributionsHandle());
            q = new float[rows][];
            for (int r = 0; r < rows; r++) {
                q[r] = drafted.draftDistribution(r);
            }
        }
        try {
            return verification.checked(DraftProposal.tree(tokens, parents, q));
        } catch (RuntimeException e) {
            stats.draftFailure = e.toString();
            LOG.warn("draft pipeline sent a broken proposal; finishing the request on the target alone", e);
            return null;
        }
    }

    /** Whether the verdict's final token was among the early-exit candidates at the accepted depth. */
    private boolean inEarlyExit(Verdict verdict) {
        int kappa = candidates.kappa();
        int depth = verdict.acceptedCount();
        for (int k = 0; k < kappa; k++) {
            if (topTokens[depth * kappa + k] == verdict.finalToken()) {
                return true;
            }
        }
        return false;
    }

    private void abandonDraft(RoundStats stats) {
        channels.close();
        if (stats.draftFailure == null) {
            Throwable failure = draft.failure(); // set before the draft closes the channels
            stats.draftFailure = failure != null ? failure.toString() : "draft pipeline closed";
        }
    }

    private MirrorStats statistics() {
        long rollout = 0;
        long hidden = 0;
        if (!draftThread.isAlive()) { // its records are safe to read once it has ended
            for (long r = 1; r <= round && r < suffixStart.length; r++) {
                long start = draft.rolloutStart(r);
                long end = draft.rolloutEnd(r);
                if (end > start) {
                    rollout += end - start;
                    hidden += Math.max(0, Math.min(end, suffixEnd[(int) r]) - Math.max(start, suffixStart[(int) r]));
                }
            }
        }
        return new MirrorStats(mirrorRounds, hits, rollout, hidden, proposalWaitNanos);
    }

    private void span(Phase phase, long start, long end) {
        if (profiler.enabled()) {
            profiler.span(Lane.TARGET, phase, start, end);
        }
    }

    /** Stops the draft pipeline and waits for its thread to leave the draft model. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        channels.close();
        draft.noPromptFeatures("the request ended"); // a draft still waiting for them stops
        try {
            draftThread.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (draftThread.isAlive()) {
            LOG.warn("draft pipeline still busy {} ms after the request ended; it frees its cache when it returns",
                    JOIN_MILLIS);
        }
    }
}
