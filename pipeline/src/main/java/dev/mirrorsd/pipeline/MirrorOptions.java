package dev.mirrorsd.pipeline;

import dev.mirrorsd.draft.MissPolicy;
import dev.mirrorsd.pipeline.ring.WaitPolicy;

import java.time.Duration;
import java.util.Objects;

/**
 * How the Mirror-SD pipelines run (docs/design/mirror-sd.md sections 3 to 5).
 *
 * @param exitLayer        l_e: the target publishes its early-exit message after this many layers,
 *                         in [1, layers)
 * @param kappa            early-exit candidates per window row; the draft rolls out a branch after each
 * @param narrowEarlyExit  compute the early-exit proxy over the draft's vocabulary only (a fraction of
 *                         the target's LM head), when the draft has a reduced one
 * @param missPolicy       what a verdict that matches no rolled-out branch leads to
 * @param waitPolicy       how each pipeline waits on its token channels
 * @param ringSize         slots per token channel, a power of 2
 * @param proposalTimeout  how long the target waits for the draft's next proposal before it finishes the
 *                         request alone (a hung draft pipeline)
 */
public record MirrorOptions(int exitLayer, int kappa, boolean narrowEarlyExit, MissPolicy missPolicy,
                            WaitPolicy waitPolicy, int ringSize, Duration proposalTimeout) {

    public MirrorOptions {
        Objects.requireNonNull(missPolicy, "missPolicy");
        Objects.requireNonNull(waitPolicy, "waitPolicy");
        if (exitLayer < 1) {
            throw new IllegalArgumentException("early-exit layer must be >= 1, got " + exitLayer);
        }
        if (kappa < 1) {
            throw new IllegalArgumentException("kappa must be >= 1, got " + kappa);
        }
        if (proposalTimeout.isNegative() || proposalTimeout.isZero()) {
            throw new IllegalArgumentException("proposal timeout must be positive, got " + proposalTimeout);
        }
    }

    /**
     * l_e 24 (of SmolLM2's 30), kappa 2, narrowed proxy, a miss steps the target alone (faster than
     * redrafting with the project's draft on the 2-vCPU machine and on two H200s: docs/design/mirror-sd.md section 5),
     * blocking waits (spinning only pays on dedicated cores), 8 slots, 10 s.
     */
    public static MirrorOptions defaults() {
        return new MirrorOptions(24, 2, true, MissPolicy.TARGET_STEP, WaitPolicy.BLOCKING, 8, Duration.ofSeconds(10));
    }

    public MirrorOptions withExitLayer(int layer) {
        return new MirrorOptions(layer, kappa, narrowEarlyExit, missPolicy, waitPolicy, ringSize, proposalTimeout);
    }

    public MirrorOptions withKappa(int k) {
        return new MirrorOptions(exitLayer, k, narrowEarlyExit, missPolicy, waitPolicy, ringSize, proposalTimeout);
    }

    public MirrorOptions withNarrowEarlyExit(boolean narrow) {
        return new MirrorOptions(exitLayer, kappa, narrow, missPolicy, waitPolicy, ringSize, proposalTimeout);
    }

    public MirrorOptions withMissPolicy(MissPolicy policy) {
        return new MirrorOptions(exitLayer, kappa, narrowEarlyExit, policy, waitPolicy, ringSize, proposalTimeout);
    }

    public MirrorOptions withWaitPolicy(WaitPolicy policy) {
        return new MirrorOptions(exitLayer, kappa, narrowEarlyExit, missPolicy, policy, ringSize, proposalTimeout);
    }

    public MirrorOptions withProposalTimeout(Duration timeout) {
        return new MirrorOptions(exitLayer, kappa, narrowEarlyExit, missPolicy, waitPolicy, ringSize, timeout);
    }
}
