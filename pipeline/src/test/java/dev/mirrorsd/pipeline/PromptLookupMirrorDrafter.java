package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.speculative.DraftProposal;
import dev.mirrorsd.core.speculative.Verdict;
import dev.mirrorsd.draft.DraftSession;
import dev.mirrorsd.draft.EarlyExitMessage;
import dev.mirrorsd.draft.MirrorDraftSession;
import dev.mirrorsd.draft.MirrorDrafter;
import dev.mirrorsd.draft.MissPolicy;
import dev.mirrorsd.draft.NgramDrafter;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

/**
 * A second draft side for Mirror-SD, with no model: on the early-exit message it rolls out, for
 * every depth tau and candidate c, the prompt-lookup continuation of the committed tokens, x1..x_tau,
 * c; on the verdict it hands over the matching branch, or on a miss a fresh lookup (nothing under
 * {@link MissPolicy#TARGET_STEP}). Lookups are deterministic given their path (point masses), so
 * lossless under both verifications. Written against the draft module's public interfaces only, as
 * a new Mirror drafter would be.
 */
final class PromptLookupMirrorDrafter implements MirrorDrafter {
    private final NgramDrafter lookup = new NgramDrafter();
    private final AtomicInteger hits = new AtomicInteger();

    /** Branches reused, over every request so far. */
    int hits() {
        return hits.get();
    }

    @Override
    public MirrorDraftSession open(SamplingConfig sampling, RandomGenerator random, int gamma, int kappa,
                                   MissPolicy missPolicy, int capacity) {
        return new Session(lookup.open(sampling, random, capacity), gamma, missPolicy, capacity);
    }

    @Override
    public String name() {
        return "mirror-prompt-lookup";
    }

    /** A rolled-out branch: the continuation after {@code depth} accepted draft tokens and {@code candidate}. */
    private record Branch(int depth, int candidate, DraftProposal tokens) {
    }

    private final class Session implements MirrorDraftSession {
        private final DraftSession lookup;
        private final int gamma;
        private final MissPolicy missPolicy;
        private final int capacity;
        private final List<Branch> branches = new ArrayList<>();
        private int[] context = new int[0]; // committed tokens as the verdicts told them
        private boolean awaitingFirstToken;
        private boolean lastHit;

        Session(DraftSession lookup, int gamma, MissPolicy missPolicy, int capacity) {
            this.lookup = lookup;
            this.gamma = gamma;
            this.missPolicy = missPolicy;
            this.capacity = capacity;
        }

        @Override
        public void prefill(int[] prompt) {
            context = prompt.clone();
            awaitingFirstToken = true;
        }

        @Override
        public void rollout(EarlyExitMessage message) {
            if (awaitingFirstToken) {
                context = append(context, new int[] {message.windowToken(0)});
                awaitingFirstToken = false;
            }
            branches.clear();
            int committed = context.length;
            int[] path = Arrays.copyOf(context, committed + message.rows());
            for (int depth = 0; depth < message.rows(); depth++) {
                for (int rank = 0; rank < message.kappa(); rank++) {
                    int candidate = message.candidate(depth, rank);
                    path[committed + depth] = candidate;
                    DraftProposal branch = lookup.propose(path, committed + depth + 1, gamma);
                    if (branch.size() > 0) {
                        branches.add(new Branch(depth, candidate, branch));
                    }
                }
                if (depth + 1 < message.rows()) {
                    path[committed + depth] = message.windowToken(depth + 1);
                }
            }
        }

        @Override
        public DraftProposal handOver(Verdict verdict) {
            context = append(context, verdict.tokens());
            Branch hit = null;
            for (Branch b : branches) {
                if (hit == null && b.depth() == verdict.acceptedCount() && b.candidate() == verdict.finalToken()) {
                    hit = b;
                }
            }
            branches.clear();
            lastHit = hit != null;
            int room = Math.min(gamma, capacity - context.length);
            if (room <= 0) {
                return DraftProposal.chain();
            }
            if (lastHit) {
                hits.incrementAndGet();
                return hit.tokens().firstRows(room);
            }
            return missPolicy == MissPolicy.TARGET_STEP ? DraftProposal.chain()
                    : lookup.propose(context, context.length, room);
        }

        @Override
        public boolean lastWasHit() {
            return lastHit;
        }

        @Override
        public void close() {
            lookup.close();
        }

        private static int[] append(int[] head, int[] tail) {
            int[] joined = Arrays.copyOf(head, head.length + tail.length);
            System.arraycopy(tail, 0, joined, head.length, tail.length);
            return joined;
        }
    }
}
