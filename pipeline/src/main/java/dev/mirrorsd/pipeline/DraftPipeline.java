package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.draft.EarlyExitMessage;
import dev.mirrorsd.draft.MirrorDraftSession;
import dev.mirrorsd.draft.MirrorDrafter;
import dev.mirrorsd.draft.MissPolicy;
import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;
import dev.mirrorsd.pipeline.ring.EarlyExitEvent;
import dev.mirrorsd.pipeline.ring.MirrorChannels;
import dev.mirrorsd.pipeline.ring.ProposalEvent;
import dev.mirrorsd.pipeline.ring.Receipt;
import dev.mirrorsd.pipeline.ring.TokenChannel;
import dev.mirrorsd.pipeline.ring.VerdictEvent;

import java.util.concurrent.CountDownLatch;
import java.util.random.RandomGenerator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirror-SD's draft pipeline, on a thread of its own: drives one request's {@link MirrorDraftSession},
 * whichever {@link MirrorDrafter} opened it. It prefills the prompt while the target does, then per
 * round takes the target's early-exit message, has the session roll out its branches, takes the
 * verdict and publishes the proposal the session hands over (the matching branch; on a miss a fresh
 * draft, or nothing under {@link MissPolicy#TARGET_STEP}). It acts on messages only, so whatever the
 * target did (a window without the draft's tokens after a timeout, say) the draft follows the
 * committed tokens the verdicts tell.
 *
 * <p>A failure ends the pipeline: it is kept for the target to report and the channels are closed,
 * which tells the target to finish alone. So does the target closing the channels.
 */
final class DraftPipeline implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(DraftPipeline.class);

    private final MirrorDrafter drafter;
    private final MirrorChannels channels;
    private final SamplingConfig sampling;
    private final RandomGenerator random; // the request's draft generator: this thread's draws alone
    private final int gamma;
    private final int kappa;
    private final MissPolicy missPolicy;
    private final int[] prompt;
    private final int capacity;
    private final Profiler profiler;

    // the pipeline's own copies of the messages: the ring's slots are reused as soon as they are read
    private final EarlyExitEvent earlyExit;
    private final VerdictEvent verdict;
    private final int[] proposalTokens;
    private final int[] proposalParents;

    /** Draft distributions of the proposal of round r at {@code r & 1}: the target reads one while the next is made. */
    private final DraftProposal[] outbox = new DraftProposal[2];
    private final long[] rolloutStart; // (rounds) by round id; read after the thread has ended
    private final long[] rolloutEnd;
    private volatile Throwable failure;
    // the prompt's target features, handed over once by the target's thread after its prefill
    private final CountDownLatch promptFeaturesReady = new CountDownLatch(1);
    private volatile float[] promptFeatures;
    private volatile int promptFeatureWidth;
    private volatile String promptFeaturesMissing;

    DraftPipeline(MirrorDrafter drafter, MirrorChannels channels, SamplingConfig sampling, RandomGenerator random,
                  int gamma, MissPolicy missPolicy, int[] prompt, int capacity, int maxRounds, Profiler profiler) {
        this.drafter = drafter;
        this.channels = channels;
        this.sampling = sampling;
        this.random = random;
        this.gamma = gamma;
        this.kappa = channels.kappa();
        this.missPolicy = missPolicy;
        this.prompt = prompt.clone();
        this.capacity = capacity;
        this.profiler = profiler;
        this.earlyExit = channels.newEarlyExit();
        this.verdict = channels.newVerdict();
        this.proposalTokens = new int[gamma];
        this.proposalParents = new int[gamma];
        for (int i = 0; i < gamma; i++) {
            proposalParents[i] = i - 1;
        }
        this.rolloutStart = new long[maxRounds + 2];
        this.rolloutEnd = new long[maxRounds + 2];
    }

    @Override
    public void run() {
        try (MirrorDraftSession session = drafter.open(sampling, random, gamma, kappa, missPolicy, capacity)) {
            session.prefill(prompt);
            if (drafter.featureLayers().length > 0) {
                // a feature draft follows the target: it waits for the prompt's features
                promptFeaturesReady.await();
                if (promptFeatures == null) {
                    throw new IllegalStateException(promptFeaturesMissing);
                }
                int[] rows = new int[prompt.length];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = i;
                }
                session.acceptFeatures(0, promptFeatures, promptFeatureWidth, rows);
                promptFeatures = null;
            }
            for (long round = 1; ; round++) {
                if (channels.earlyExits().receive(earlyExit, round, TokenChannel.FOREVER) != Receipt.RECEIVED) {
                    return;
                }
                EarlyExitMessage message = message(earlyExit);
                long start = System.nanoTime();
                session.rollout(message);
                long end = System.nanoTime();
                record(round, start, end);

                if (channels.verdicts().receive(verdict, round, TokenChannel.FOREVER) != Receipt.RECEIVED) {
                    return;
                }
                Verdict outcome = verdict(verdict);
                long drafting = System.nanoTime();
                DraftProposal next = session.handOver(outcome);
                if (!session.lastWasHit() && next.size() > 0 && profiler.enabled()) {
                    profiler.span(Lane.DRAFT, Phase.DRAFT, drafting, System.nanoTime());
                }
                if (!publish(round + 1, next)) {
                    return;
                }
            }
        } catch (Throwable t) {
            failure = t;
            LOG.warn("draft pipeline failed; the target finishes the request alone", t);
        } finally {
            channels.close();
        }
    }

    /** The target's features of the prompt, from its prefill: row i for position i. Called once. */
    void promptFeatures(float[] features, int width) {
        promptFeatures = features.clone();
        promptFeatureWidth = width;
        promptFeaturesReady.countDown();
    }

    /** The prompt's features will not come ({@code why}); also frees a pipeline waiting for them at close. */
    void noPromptFeatures(String why) {
        promptFeaturesMissing = why;
        promptFeaturesReady.countDown();
    }

    private static EarlyExitMessage message(EarlyExitEvent event) {
        int rows = event.rows();
        int[] window = new int[rows];
        for (int r = 0; r < rows; r++) {
            window[r] = event.windowToken(r);
        }
        int[] candidates = new int[rows * event.kappa()];
        float[] logProbs = new float[rows * event.kappa()];
        event.copyTokensTo(candidates);
        event.copyLogProbsTo(logProbs);
        float[] features = new float[rows * event.featureWidth()];
        event.copyFeaturesTo(features);
        return new EarlyExitMessage(window, event.kappa(), candidates, logProbs, features, event.featureWidth());
    }

    private static Verdict verdict(VerdictEvent event) {
        int[] acceptedRows = new int[event.acceptedCount()];
        int[] emitted = new int[event.emittedCount()];
        event.copyAcceptedRowsTo(acceptedRows);
        event.copyEmittedTo(emitted);
        return new Verdict(acceptedRows, emitted, event.ending());
    }

    private void record(long round, long start, long end) {
        if (round < rolloutStart.length) {
            rolloutStart[(int) round] = start;
            rolloutEnd[(int) round] = end;
        }
        if (profiler.enabled()) {
            profiler.span(Lane.DRAFT, Phase.BRANCH_ROLLOUT, start, end);
        }
    }

    private boolean publish(long round, DraftProposal proposal) {
        int handle = ProposalEvent.NO_DISTRIBUTIONS;
        if (!sampling.isGreedy()) {
            handle = (int) (round & 1);
            outbox[handle] = proposal; // published by the ring's release below
        }
        ProposalEvent slot = channels.proposals().claim(TokenChannel.FOREVER);
        if (slot == null) {
            return false;
        }
        int rows = proposal.size();
        for (int r = 0; r < rows; r++) {
            proposalTokens[r] = proposal.token(r);
        }
        slot.set(round, rows, proposalTokens, proposalParents, handle);
        channels.proposals().publish();
        return true;
    }

    /** The draft distributions behind a proposal's handle. */
    DraftProposal distributions(int handle) {
        return outbox[handle];
    }

    /** Why the pipeline stopped early, or null. */
    Throwable failure() {
        return failure;
    }

    long rolloutStart(long round) {
        return round < rolloutStart.length ? rolloutStart[(int) round] : 0;
    }

    long rolloutEnd(long round) {
        return round < rolloutEnd.length ? rolloutEnd[(int) round] : 0;
    }
}
