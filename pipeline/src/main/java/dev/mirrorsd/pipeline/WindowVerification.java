package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.sampling.LogitsProcessor;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.target.verify.TargetScores;
import dev.mirrorsd.target.verify.Verifier;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The target's half of a speculative round, shared by the serial and the Mirror loops: the window
 * {@code [last committed token, draft rows...]}, then, from the target's logits over it, the
 * verdict, the cache kept to the accepted path, and the committed tokens. One per request; not
 * thread-safe.
 *
 * <p>The verifier draws from the chooser's generator, the request's one (vLLM's rule: the sampler
 * and the rejection test take from one generator per request), so the token after the prefill,
 * each autoregressive step and each rejection test, correction or bonus take successive draws of a
 * single stream: independent of one another, and reproducible from the seed.
 */
final class WindowVerification {
    private final Verifier verifier;
    private final SamplingConfig sampling;
    private final TokenChooser chooser;
    private final RandomGenerator random; // the chooser's: the request's one generator
    private final LogitsProcessor processor;
    private final LogitsProcessor.Scratch scratch;
    private final int vocab;
    private final float[] rowBuffer; // (vocab)

    WindowVerification(SamplingConfig sampling, TokenChooser chooser, int vocab) {
        this.verifier = Verifier.forConfig(sampling);
        this.sampling = sampling;
        this.chooser = chooser;
        this.random = chooser.random();
        this.processor = new LogitsProcessor(sampling, vocab);
        this.scratch = processor.newScratch();
        this.vocab = vocab;
        this.rowBuffer = new float[vocab];
    }

    /** Most draft rows the next window can take: the window must fit the target's cache. */
    static int room(Sequence target) {
        return Math.max(0, target.capacity() - target.length() - 1);
    }

    /** The window after {@code base} cached positions: the last committed token, then the draft rows. */
    static Window window(CommittedOutput output, DraftProposal proposal, int base) {
        int n = proposal.size();
        int[] tokens = new int[n + 1];
        int[] parents = new int[n + 1];
        tokens[0] = output.context()[output.length() - 1];
        parents[0] = -1;
        for (int r = 0; r < n; r++) {
            tokens[r + 1] = proposal.token(r);
            parents[r + 1] = proposal.parent(r) + 1;
        }
        return Window.tree(tokens, parents, base);
    }

    /**
     * Verifies the window's logits, keeps the accepted path in the cache, commits the emitted tokens.
     * With no draft rows the round is an autoregressive step. Afterwards the cache holds exactly the
     * committed tokens but the newest one.
     *
     * @param base   cached positions before the window
     * @param logits the target's logits for every window row
     */
    Verdict verifyAndCommit(Sequence target, int base, Logits logits, DraftProposal proposal, CommittedOutput output,
                            RoundStats stats) {
        int n = proposal.size();
        Verdict verdict;
        if (n == 0) {
            target.truncate(base + 1);
            verdict = new Verdict(new int[0], new int[] {chooser.choose(logits, 0, output.context(), output.length())},
                    Verdict.Ending.BONUS);
            output.commit(verdict.tokens());
            stats.round(0, 0);
        } else {
            verdict = verifier.verify(proposal, scores(logits, proposal, output), random);
            target.compact(base, verdict.keptWindowRows());
            int taken = output.commit(verdict.tokens());
            // a round cut short by the budget or an end-of-sequence token counts what it committed
            stats.round(n, taken - 1);
        }
        requireCacheHoldsCommitted(target, output);
        return verdict;
    }

    /** The invariant of every round: the cache holds exactly the committed tokens but the newest one. */
    static void requireCacheHoldsCommitted(Sequence target, CommittedOutput output) {
        if (!output.done() && target.length() != output.length() - 1) {
            throw new IllegalStateException("target cache holds " + target.length() + " positions after a round that"
                    + " committed " + output.length() + " tokens");
        }
    }

    /** A proposal with out-of-range ids or broken distributions is a drafter failure, not a verdict. */
    DraftProposal checked(DraftProposal proposal) {
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
}
