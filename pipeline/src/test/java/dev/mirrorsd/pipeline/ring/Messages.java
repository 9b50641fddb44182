package dev.mirrorsd.pipeline.ring;

import dev.mirrorsd.core.speculative.Verdict;

/**
 * Deterministic message content derived from the round id, so a receiver can check every field
 * without shared state. Fill and check methods allocate nothing: the scratch arrays are the caller's.
 */
final class Messages {
    static final int ROWS = 9;   // gamma 8 + the last committed token
    static final int KAPPA = 4;
    static final int VOCAB = 49152;

    private Messages() {
    }

    static int rows(long round) {
        return 1 + (int) (round % ROWS);
    }

    static int token(long round, int i) {
        return (int) ((round * 31 + i * 7919L) % VOCAB);
    }

    static float logProb(long round, int i) {
        return -0.25f * i - (round % 5);
    }

    static void fillEarlyExit(EarlyExitEvent e, long round) {
        int rows = rows(round);
        e.begin(round, rows, KAPPA);
        for (int r = 0; r < rows; r++) {
            e.setWindowRow(r, token(round, 100 + r), r - 1);
            for (int k = 0; k < KAPPA; k++) {
                e.setCandidate(r, k, token(round, r * KAPPA + k), logProb(round, r * KAPPA + k));
            }
        }
    }

    /** Returns a description of the first difference, or null: no exceptions built on the hot path. */
    static String checkEarlyExit(EarlyExitEvent e, long round) {
        int rows = rows(round);
        if (e.roundId() != round || e.rows() != rows || e.kappa() != KAPPA) {
            return "header " + e + " for round " + round;
        }
        for (int r = 0; r < rows; r++) {
            if (e.windowToken(r) != token(round, 100 + r) || e.windowParent(r) != r - 1) {
                return "window row " + r + " of round " + round;
            }
            for (int k = 0; k < KAPPA; k++) {
                if (e.token(r, k) != token(round, r * KAPPA + k) || e.logProb(r, k) != logProb(round, r * KAPPA + k)) {
                    return "candidate " + r + "," + k + " of round " + round;
                }
            }
        }
        return null;
    }

    static void fillVerdict(VerdictEvent v, long round, int[] rowsScratch, int[] tokensScratch) {
        int accepted = (int) (round % ROWS);
        for (int i = 0; i < accepted; i++) {
            rowsScratch[i] = i;
            tokensScratch[i] = token(round, 500 + i);
        }
        tokensScratch[accepted] = token(round, 999);
        v.set(round, rowsScratch, accepted, tokensScratch,
                accepted == ROWS - 1 ? Verdict.Ending.BONUS : Verdict.Ending.CORRECTION);
    }

    static String checkVerdict(VerdictEvent v, long round) {
        int accepted = (int) (round % ROWS);
        if (v.roundId() != round || v.acceptedCount() != accepted || v.finalToken() != token(round, 999)
                || v.ending() != (accepted == ROWS - 1 ? Verdict.Ending.BONUS : Verdict.Ending.CORRECTION)) {
            return "header " + v + " for round " + round;
        }
        for (int i = 0; i < accepted; i++) {
            if (v.acceptedRow(i) != i || v.emittedToken(i) != token(round, 500 + i)) {
                return "accepted " + i + " of round " + round;
            }
        }
        return null;
    }

    static void fillProposal(ProposalEvent p, long round, int[] tokensScratch, int[] parentsScratch) {
        int rows = rows(round);
        for (int r = 0; r < rows; r++) {
            tokensScratch[r] = token(round, 2000 + r);
            parentsScratch[r] = r == 0 ? -1 : (int) ((round + r) % r);
        }
        p.set(round, rows, tokensScratch, parentsScratch, (int) (round % 3) - 1);
    }

    static String checkProposal(ProposalEvent p, long round) {
        int rows = rows(round);
        if (p.roundId() != round || p.rows() != rows || p.distributionsHandle() != (int) (round % 3) - 1) {
            return "header " + p + " for round " + round;
        }
        for (int r = 0; r < rows; r++) {
            int parent = r == 0 ? -1 : (int) ((round + r) % r);
            if (p.token(r) != token(round, 2000 + r) || p.parent(r) != parent) {
                return "row " + r + " of round " + round;
            }
        }
        return null;
    }
}
