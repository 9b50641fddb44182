package dev.mirrorsd.target.verify;

import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.core.sampling.TokenSampler;
import java.util.random.RandomGenerator;

/**
 * Speculative sampling (Leviathan et al. 2023, Chen et al. 2023), extended to trees by recursive
 * rejection over siblings (SpecInfer, SpecTr's multi-draft sampling). Lossless: the emitted tokens
 * are distributed exactly as sampling from the target.
 *
 * <p>At a node with target distribution p (scores row {@code node + 1}), the children c_1..c_m are
 * tried in row order, each with its draft distribution q_j ({@link DraftProposal#draftDistribution}):
 * <ul>
 *   <li>accept c_j with probability {@code min(1, p(c_j) / q_j(c_j))} and descend into it;</li>
 *   <li>on rejection set {@code p <- norm(max(0, p - q_j))} and try the next child;</li>
 *   <li>if every child is rejected, sample the correction from the final residual p;</li>
 *   <li>at a leaf (every drafted token on the path accepted), sample the bonus from p.</li>
 * </ul>
 * A chain is the tree whose nodes have one child: the classic rule, with the correction drawn from
 * {@code norm(max(0, p_i - q_i))} and the bonus from {@code p_{gamma+1}}.
 *
 * <p>Why it is lossless, and the assumption it rests on: the one-step lemma says that if
 * {@code x ~ q} then "accept x with prob min(1, p(x)/q(x)), else draw from norm(max(0, p - q))" yields
 * exactly p. Applied to sibling j with the current residual as p, it holds as long as c_j, given the
 * path and the earlier siblings' tokens (hence given their rejections, which depend on nothing else
 * but independent uniforms), is distributed as q_j. So q_j must be the distribution of c_j
 * conditioned on the earlier siblings:
 * <ul>
 *   <li>siblings drawn i.i.d. from the node's draft distribution q: q_j = q for every j;</li>
 *   <li>deterministic children (greedy drafts, the top-k tokens of the draft): q_j = the point mass
 *       at c_j ({@code null} distribution). Then accept c_j with probability p(c_j) and on rejection
 *       {@code p <- norm(p with c_j zeroed)}; distinct deterministic tokens thus peel p one token at
 *       a time, and the final residual is p restricted to the untried tokens;</li>
 *   <li>siblings drawn without replacement: q_j = q with the earlier siblings zeroed, renormalised.</li>
 * </ul>
 * Descending into an accepted child is the same lemma one position later, since its subtree was
 * drafted conditioned on its path. Floating-point guard: if a residual has no mass left (p equal to
 * q up to rounding, so the rejection had probability zero in exact arithmetic), the next draw uses
 * the node's original p.
 *
 * <p>Not thread-safe: holds a residual buffer of vocabulary size; use one per sequence.
 */
public class RejectionVerifier implements Verifier {

    private float[] residual = new float[0]; // (vocab) unnormalised residual target distribution

    @Override
    public Verdict verify(DraftProposal proposal, TargetScores scores, RandomGenerator random) {
        Verifier.checkShapes(proposal, scores);
        if (!scores.probabilities()) {
            throw new IllegalArgumentException("rejection sampling needs the target's processed distributions, "
                    + "not raw logits");
        }
        int vocab = scores.vocab();
        if (residual.length < vocab) {
            residual = new float[vocab];
        }
        float[] values = scores.values();
        int[] path = new int[proposal.size()];
        int depth = 0;
        int node = -1;
        descend:
        while (true) {
            int offset = scores.offset(TargetScores.rowAfter(node));
            int child = proposal.firstChild(node);
            if (child < 0) {
                int bonus = TokenSampler.sample(values, offset, vocab, random);
                return GreedyVerifier.verdict(proposal, path, depth, bonus, Verdict.Ending.BONUS);
            }
            boolean residualLive = false; // false: p is still the target row itself
            double sum = 1;
            for (; child >= 0; child = proposal.nextSibling(child)) {
                int token = proposal.token(child);
                float[] q = proposal.draftDistribution(child);
                checkVocab(q, vocab, child);
                double p = residualLive ? residual[token] / sum : values[offset + token];
                double qx = q == null ? 1.0 : q[token];
                if (random.nextDouble() < p / qx) {
                    path[depth++] = child;
                    node = child;
                    continue descend;
                }
                if (!residualLive) {
                    sum = copyRow(values, offset, vocab);
                    residualLive = true;
                }
                sum = subtractDraft(residual, sum, q, token, vocab);
                if (!(sum > 0)) { // p == q up to rounding: fall back to the node's p
                    sum = copyRow(values, offset, vocab);
                }
            }
            int correction = TokenSampler.sample(residual, 0, vocab, random);
            return GreedyVerifier.verdict(proposal, path, depth, correction, Verdict.Ending.CORRECTION);
        }
    }

    private double copyRow(float[] values, int offset, int vocab) {
        System.arraycopy(values, offset, residual, 0, vocab);
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += residual[i];
        }
        return sum;
    }

    /**
     * The residual after rejecting {@code token} drawn from {@code q}: {@code r <- max(0, r/sum - q)},
     * with {@code q = null} the point mass at {@code token}. Returns the new (unnormalised) sum.
     * Package-private so that a test double can break it and prove the statistical tests bite.
     */
    double subtractDraft(float[] r, double sum, float[] q, int token, int vocab) {
        if (q == null) {
            double left = sum - r[token];
            r[token] = 0f;
            return left;
        }
        double left = 0;
        for (int i = 0; i < vocab; i++) {
            double v = r[i] / sum - q[i];
            float kept = v > 0 ? (float) v : 0f;
            r[i] = kept;
            left += kept;
        }
        return left;
    }

    private static void checkVocab(float[] q, int vocab, int row) {
        if (q != null && q.length != vocab) {
            throw new IllegalArgumentException("draft row " + row + " has a distribution over " + q.length
                    + " tokens; the target's vocabulary has " + vocab);
        }
    }
}
