package dev.mirrorsd.target.verify;

/**
 * Test double: rejection sampling whose correction is drawn from the target's p instead of
 * norm(max(0, p - q)). Not lossless; the statistical tests must catch it.
 */
final class BrokenResidualVerifier extends RejectionVerifier {

    @Override
    double subtractDraft(float[] r, double sum, float[] q, int token, int vocab) {
        return sum; // the residual stays p
    }
}
