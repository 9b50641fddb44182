package dev.mirrorsd.target.verify;

import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.core.sampling.SamplingConfig;
import java.util.random.RandomGenerator;

/**
 * Decides, from the target's scores, which draft tokens to keep and which token to emit after them.
 * Vocabulary (as in vLLM): output tokens = accepted draft tokens + one recovered token (the
 * correction, at the first rejection) or one bonus token (after a fully accepted path); see
 * {@link Verdict}.
 *
 * <p>Indexing of the scores: {@link TargetScores} row 0 predicts the first draft token (it is the
 * target's output at the last committed token); row {@code r + 1} is the prediction after draft row
 * {@code r}.
 *
 * <p>Both implementations are lossless: {@link GreedyVerifier} emits exactly what greedy
 * autoregressive decoding of the target would; {@link RejectionVerifier} emits tokens distributed
 * exactly as sampling from the target would.
 */
public interface Verifier {

    /**
     * Verifies one round.
     *
     * @param proposal the draft rows (chain or tree) and, for sampling, their draft distributions
     * @param scores   the target's rows for the window {@code [last committed, draft rows...]},
     *                 {@code proposal.size() + 1} of them
     * @param random   the request's generator, the one its other target-side draws take from too
     *                 ({@code RequestRandom.target()}); greedy verification draws nothing
     */
    Verdict verify(DraftProposal proposal, TargetScores scores, RandomGenerator random);

    /**
     * A fresh verifier for one sequence: greedy verification when {@code config} is greedy,
     * rejection sampling otherwise (which holds a vocabulary-sized buffer: not thread-safe).
     */
    static Verifier forConfig(SamplingConfig config) {
        return config.isGreedy() ? new GreedyVerifier() : new RejectionVerifier();
    }

    /** Checks that the scores cover the proposal's window. */
    static void checkShapes(DraftProposal proposal, TargetScores scores) {
        if (scores.rows() != proposal.size() + 1) {
            throw new IllegalArgumentException("the target scores " + scores.rows() + " rows; a window of "
                    + proposal.size() + " draft rows needs " + (proposal.size() + 1)
                    + " (the last committed token's row, then one per draft row)");
        }
    }
}
