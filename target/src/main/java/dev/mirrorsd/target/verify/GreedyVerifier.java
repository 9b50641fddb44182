package dev.mirrorsd.target.verify;

import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Greedy verification: a draft token is accepted iff it equals the target's argmax at its parent.
 *
 * <p>Chain: accept while {@code token[r] == argmax(scores row r)}; at the first mismatch emit that
 * argmax (correction); if all are accepted emit the argmax after the last one (bonus). Tree: from
 * the root, follow the first child (in row order) whose token equals the argmax at the current
 * node; stop where none does and emit the argmax there: a correction if the node has children, a
 * bonus at a leaf. Siblings with equal tokens are allowed; the first one is followed. The output
 * equals greedy autoregressive decoding of the target token for token.
 *
 * <p>Stateless and thread-safe.
 */
public final class GreedyVerifier implements Verifier {

    @Override
    public Verdict verify(DraftProposal proposal, TargetScores scores, RandomGenerator random) {
        Verifier.checkShapes(proposal, scores);
        int[] path = new int[proposal.size()];
        int depth = 0;
        int node = -1;
        while (true) {
            int best = scores.argmax(TargetScores.rowAfter(node));
            boolean leaf = proposal.firstChild(node) < 0;
            int child = proposal.child(node, best);
            if (child < 0) {
                return verdict(proposal, path, depth, best, leaf ? Verdict.Ending.BONUS : Verdict.Ending.CORRECTION);
            }
            path[depth++] = child;
            node = child;
        }
    }

    static Verdict verdict(DraftProposal proposal, int[] path, int depth, int finalToken, Verdict.Ending ending) {
        int[] rows = Arrays.copyOf(path, depth);
        int[] tokens = new int[depth + 1];
        for (int i = 0; i < depth; i++) {
            tokens[i] = proposal.token(rows[i]);
        }
        tokens[depth] = finalToken;
        return new Verdict(rows, tokens, ending);
    }
}
