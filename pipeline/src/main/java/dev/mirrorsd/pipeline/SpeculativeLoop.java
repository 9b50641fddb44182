package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.sampling.LogitsProcessor;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.sampling.TokenSampler;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.draft.DraftSession;
import dev.mirrorsd.target.verify.TargetScores;
import dev.mirrorsd.target.verify.Verifier;

import java.util.Arrays;
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
    private final Verifier verifier;
    private final DraftLength draftLength;
    private final SamplingConfig sampling;
    private final TokenChooser chooser;
    private final TokenSampler sampler;
    private final LogitsProcessor processor;
    private final LogitsProcessor.Scratch scratch;
    private final int vocab;
    private final float[] rowBuffer; // (vocab)

    SpeculativeLoop(DraftSession draft, DraftLength draftLength, SamplingConfig sampling, TokenChooser chooser, int vocab) {
        this.draft = draft;
        this.verifier = Verifier.forConfig(sampling);
        this.draftLength = draftLength;
        this.sampling = sampling;
        this.chooser = chooser;
        this.sampler = TokenSampler.forConfig(sampling);
        this.processor = new LogitsProcessor(sampling, vocab);
        this.scratch = processor.newScratch();
        this.vocab = vocab;
        this.rowBuffer = new float[vocab];
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
                    // the window is the last committed token plus the draft rows: it must fit the cache
                    int room = Math.max(0, target.capacity() - target.length() - 1);
                    proposal = checked(draft.propose(output.context(), output.length(),
                            Math.min(draftLength.next(), room))).firstRows(room);
                } catch (RuntimeException e) {
                    // the request finishes on the target alone; every committed token stays
                    drafting = false;
                    stats.draftFailure = e.toString();
                    LOG.warn("drafter failed; finishing the request on the target alone", e);
                    proposal = DraftProposal.chain();
                }
            }
            verifyRound(target, output, stats, proposal);
        }
    }

    private void verifyRound(Sequence target, CommittedOutput output, RoundStats stats, DraftProposal proposal) {
        int n = proposal.size();
        int base = target.length();
        int[] tokens = new int[n + 1];
        int[] parents = new int[n + 1];
        tokens[0] = output.context()[output.length() - 1];
        parents[0] = -1;
        for (int r = 0; r < n; r++) {
            tokens[r + 1] = proposal.token(r);
            parents[r + 1] = proposal.parent(r) + 1;
        }
        Logits logits = target.forward(Window.tree(tokens, parents, base), 0);
        if (n == 0) {
            // nothing drafted: an autoregressive step
            target.truncate(base + 1);
            output.commit(chooser.choose(logits, 0, output.context(), output.length()));
            stats.round(0, 0);
            requireCacheHoldsCommitted(target, output);
            return;
        }
        Verdict verdict = verifier.verify(proposal, scores(logits, proposal, output), sampler.random());
        int[] kept = new int[verdict.acceptedCount() + 1];
        for (int i = 0; i < verdict.acceptedCount(); i++) {
            kept[i + 1] = verdict.acceptedRows()[i] + 1;
        }
        target.compact(base, kept);
        int taken = output.commit(verdict.tokens());
        // a round cut short by the budget or an end-of-sequence token counts what it committed
        stats.round(n, taken - 1);
        draftLength.update(n, verdict.acceptedCount());
        requireCacheHoldsCommitted(target, output);
    }

    /** The invariant of every round: the cache holds exactly the committed tokens but the newest one. */
    static void requireCacheHoldsCommitted(Sequence target, CommittedOutput output) {
        if (!output.done() && target.length() != output.length() - 1) {
            throw new IllegalStateException("target cache holds " + target.length() + " positions after a round that"
                    + " committed " + output.length() + " tokens");
        }
    }

    /** Raw logits suffice for plain greedy; otherwise each row goes through the request's processors. */
    private TargetScores scores(Logits logits, DraftProposal proposal, CommittedOutput output) {
        if (sampling.isGreedy() && sampling.repetitionPenalty() == 1f) {
            return TargetScores.ofLogits(logits);
        }
        float[] values = new float[logits.rows() * vocab];
        int committed = output.length();
        int[] context = Arrays.copyOf(output.context(), committed + proposal.size());
        for (int row = 0; row < logits.rows(); row++) {
            // the row after draft row r conditions on the committed tokens and r's path
            int length = committed;
            int[] path = pathTo(proposal, row - 1);
            for (int token : path) {
                context[length++] = token;
            }
            processor.process(logits.values(), row * vocab, context, length, scratch, rowBuffer);
            System.arraycopy(rowBuffer, 0, values, row * vocab, vocab);
        }
        return TargetScores.ofProbabilities(logits.rows(), vocab, values);
    }

    private static int[] pathTo(DraftProposal proposal, int row) {
        int depth = 0;
        for (int r = row; r >= 0; r = proposal.parent(r)) {
            depth++;
        }
        int[] path = new int[depth];
        for (int r = row; r >= 0; r = proposal.parent(r)) {
            path[--depth] = proposal.token(r);
        }
        return path;
    }

    /** A proposal with out-of-range ids or broken distributions is a drafter failure, not a verdict. */
    private DraftProposal checked(DraftProposal proposal) {
        for (int r = 0; r < proposal.size(); r++) {
            if (proposal.token(r) >= vocab) {
                throw new IllegalStateException("drafter proposed token id " + proposal.token(r)
                        + " outside the vocabulary of " + vocab);
            }
            float[] q = proposal.draftDistribution(r);
            if (q != null) {
                if (q.length != vocab) {
                    throw new IllegalStateException("draft distribution of " + q.length + " entries, vocabulary " + vocab);
                }
                for (float p : q) {
                    if (!(p >= 0) || Float.isInfinite(p)) {
                        throw new IllegalStateException("draft distribution holds " + p);
                    }
                }
            }
        }
        return proposal;
    }
}
