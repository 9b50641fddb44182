package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
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
 * <p>Profiled phases, as {@link MirrorLoop} names them: {@link Phase#DRAFT} on the draft's lane
 * (proposing), then on the target's lane {@link Phase#TARGET_FORWARD} (the window's forward) and
 * {@link Phase#VERIFY} (verdict, cache compaction and commit).
 */
final class SpeculativeLoop implements DecodingLoop {
    private static final Logger LOG = LoggerFactory.getLogger(SpeculativeLoop.class);

    private final DraftSession draft;
    private final DraftLength draftLength;
    private final WindowVerification verification;

    SpeculativeLoop(DraftSession draft, DraftLength draftLength, WindowVerification verification) {
        this.draft = draft;
        this.draftLength = draftLength;
        this.verification = verification;
    }

    @Override
    public void run(Sequence target, CommittedOutput output, RoundStats stats, Cancellation cancellation) {
        Profiler profiler = stats.profiler;
        boolean drafting = true;
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
            Logits logits = target.forward(WindowVerification.window(output, proposal, base), 0);
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
        }
    }

    @Override
    public void close() {
        draft.close();
    }
}
