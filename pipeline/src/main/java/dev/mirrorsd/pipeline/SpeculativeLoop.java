package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.draft.DraftSession;
import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serial speculative decoding: each round the draft proposes, then the target scores the window
 * {@code [last committed token, draft rows...]} in one forward pass and the verifier keeps the
 * accepted path plus one correction or bonus token. Both caches then hold exactly the committed
 * tokens. If the drafter fails, the request goes on with the target alone and keeps every token.
 *
 * <p>A draft that reads the target's hidden states (EAGLE's features) gets them from the passes
 * that run anyway: the prefill's, and each window's for the rows the verdict keeps.
 *
 * <p>Profiled phases, as {@link MirrorLoop} names them: {@link Phase#DRAFT} on the draft's lane
 * (proposing), then on the target's lane {@link Phase#TARGET_FORWARD} (the window's forward) and
 * {@link Phase#VERIFY} (verdict, cache compaction and commit).
 */
final class SpeculativeLoop implements DecodingLoop {
    private static final Logger LOG = LoggerFactory.getLogger(SpeculativeLoop.class);

    private final DraftSession draft;
    private final DraftLength draftLength;
    private final WindowVerification verification;
    private final FeatureTap features; // null: the draft reads tokens only

    SpeculativeLoop(DraftSession draft, DraftLength draftLength, WindowVerification verification, int hiddenSize) {
        this.draft = draft;
        this.draftLength = draftLength;
        this.verification = verification;
        int[] layers = draft.featureLayers();
        this.features = layers.length == 0 ? null : new FeatureTap(layers, hiddenSize);
    }

    @Override
    public Logits prefill(Sequence target, int[] prompt) {
        if (features == null) {
            return DecodingLoop.super.prefill(target, prompt);
        }
        Logits logits = features.prefill(target, prompt);
        if (features.failure() == null) {
            int[] rows = new int[prompt.length];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = i;
            }
            draft.acceptFeatures(0, features.features(), features.width(), rows);
        }
        return logits;
    }

    @Override
    public void run(Sequence target, CommittedOutput output, RoundStats stats, Cancellation cancellation) {
        Profiler profiler = stats.profiler;
        boolean drafting = features == null || features.failure() == null;
        if (!drafting) {
            stats.draftFailure = features.failure();
            LOG.warn("{}; running the request on the target alone", features.failure());
        }
        while (!output.done()) {
            if (cancellation.isCancelled()) {
                output.cancel();
                return;
            }
            DraftProposal proposal = DraftProposal.chain();
            if (drafting) {
                long draftStart = profiler.enabled() ? System.nanoTime() : 0L;
                try {
                    int room = WindowVerification.room(target);
                    proposal = verification.checked(draft.propose(output.context(), output.length(),
                            Math.min(draftLength.next(), room))).firstRows(room);
                    if (profiler.enabled()) {
                        profiler.span(Lane.DRAFT, Phase.DRAFT, draftStart, System.nanoTime());
                    }
                } catch (RuntimeException e) {
                    // the request finishes on the target alone; every committed token stays
                    drafting = false;
                    stats.draftFailure = e.toString();
                    LOG.warn("drafter failed; finishing the request on the target alone", e);
                    proposal = DraftProposal.chain();
                }
            }
            if (cancellation.isCancelled()) { // mid-round: the proposal is dropped
                output.cancel();
                return;
            }
            int base = target.length();
            long forwardStart = profiler.enabled() ? System.nanoTime() : 0L;
            Window window = WindowVerification.window(output, proposal, base);
            boolean tapped = drafting && features != null;
            Logits logits = tapped ? features.forward(target, window, 0) : target.forward(window, 0);
            long verifyStart = 0L;
            if (profiler.enabled()) {
                verifyStart = System.nanoTime();
                profiler.span(Lane.TARGET, Phase.TARGET_FORWARD, forwardStart, verifyStart);
            }
            if (cancellation.isCancelled()) { // during verification: nothing of this window is committed
                output.cancel();
                return;
            }
            Verdict verdict = verification.verifyAndCommit(target, base, logits, proposal, output, stats);
            if (profiler.enabled() && proposal.size() > 0) {
                profiler.span(Lane.TARGET, Phase.VERIFY, verifyStart, System.nanoTime());
            }
            if (proposal.size() > 0) {
                draftLength.update(proposal.size(), verdict.acceptedCount());
            }
            if (tapped && features.failure() != null) {
                drafting = false;
                stats.draftFailure = features.failure();
                LOG.warn("{}; finishing the request on the target alone", features.failure());
            } else if (tapped) {
                draft.acceptFeatures(base, features.features(), features.width(), verdict.keptWindowRows());
            }
        }
    }

    @Override
    public void close() {
        draft.close();
    }
}
