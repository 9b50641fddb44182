package dev.mirrorsd.draft;

import dev.mirrorsd.core.sampling.SamplingConfig;

import java.util.random.RandomGenerator;

/**
 * The draft side of Mirror-SD (docs/design/mirror-sd.md sections 3-5): on the target's early-exit message it rolls
 * out a branch after each likely outcome of the running verification, and on the verdict hands over
 * the matching branch (a hit), or on a miss what the {@link MissPolicy} says. One drafter serves many
 * requests; each opens its own {@link MirrorDraftSession}, which the Mirror pipeline drives on a
 * thread of its own. Implementations are named for their policy: {@link ModelMirrorDrafter} (a draft
 * model conditioned on tokens alone).
 *
 * <p>Thread-safety: {@link #open} may be called from many threads.
 */
public interface MirrorDrafter extends AutoCloseable {

    /**
     * Starts one request's draft side.
     *
     * @param sampling   the request's settings; a sampling drafter draws its tokens from the same
     *                   processed distribution as the target's and reports it
     * @param random     the request's draft generator ({@code RequestRandom.draft()}): the branch
     *                   rollouts and fresh drafts draw from it, and from nothing else
     * @param gamma      draft tokens per branch and per fresh draft, at least 1
     * @param kappa      early-exit candidates per window row
     * @param missPolicy what a verdict that matches no branch leads to
     * @param capacity   most positions the request will reach (prompt + new tokens + one window); no
     *                   proposal takes the target past it
     */
    MirrorDraftSession open(SamplingConfig sampling, RandomGenerator random, int gamma, int kappa,
                            MissPolicy missPolicy, int capacity);

    /**
     * Target ids the draft predicts, or null for all. The target may then compute its early-exit
     * proxy over these ids only (a fraction of its LM head), since candidates the draft cannot
     * predict after are of little use to it.
     */
    default int[] draftVocabulary() {
        return null;
    }

    /**
     * The target layers whose hidden states the draft reads (EAGLE's features), ascending, all at or
     * below the early-exit layer; none for a draft that reads tokens only. Each early-exit message
     * then carries every window row's features, and the prompt's come through
     * {@link MirrorDraftSession#acceptFeatures}.
     */
    default int[] featureLayers() {
        return new int[0];
    }

    /** The strategy's name as the API and the command line spell it. */
    String name();

    @Override
    default void close() {
    }
}
