package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.draft.DraftSession;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serial speculative decoding: each round the draft proposes, then the target scores the window
 * {@code [last committed token, draft rows...]} in one forward pass and the verifier keeps the
 * accepted path plus one correction or bonus token. Both caches then hold exactly the committed
 * tokens. If the drafter fails, the request goes on with the target alone and keeps every token.
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
        boolean drafting = true;
        while (!output.done()) {
            if (cancellation.isCancelled()) {
                output.cancel();
                return;
            }
            DraftProposal proposal = DraftProposal.chain();
            if (drafting) {
                try {
                    int room = WindowVerification.room(target);
                    proposal = verification.checked(draft.propose(output.context(), output.length(),
                            Math.min(draftLength.next(), room))).firstRows(room);
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
            Logits logits = target.forward(WindowVerification.window(output, proposal, base), 0);
            if (cancellation.isCancelled()) { // during verification: nothing of this window is committed
                output.cancel();
                return;
            }
            Verdict verdict = verification.verifyAndCommit(target, base, logits, proposal, output, stats);
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
