package dev.mirrorsd.core.speculative;

import java.util.Arrays;

/**
 * The outcome of verifying one round. Output tokens = accepted draft tokens + one final token, the
 * recovered token (correction: the target's choice where the draft was rejected) or the bonus token
 * (the target's next token after a fully accepted path).
 *
 * @param acceptedRows draft rows accepted, root to leaf: the path through the chain or tree
 *                     ({@code (accepted)}); the KV cache keeps target-window rows {@code 0} and
 *                     {@code acceptedRows[i] + 1}
 * @param tokens       emitted tokens: the accepted draft tokens in order, then the final token
 *                     ({@code (accepted + 1)})
 * @param ending       whether the final token is a correction or a bonus
 */
public record Verdict(int[] acceptedRows, int[] tokens, Ending ending) {

    /** Kind of the final emitted token. */
    public enum Ending {
        /** The target rejected a draft token (or every child of a tree node) and sampled a replacement. */
        CORRECTION,
        /** Every draft token on the path was accepted and the path ended at a leaf. */
        BONUS
    }

    public Verdict {
        if (tokens.length != acceptedRows.length + 1) {
            throw new IllegalArgumentException("a verdict emits accepted + 1 tokens: " + acceptedRows.length
                    + " accepted, " + tokens.length + " emitted");
        }
        acceptedRows = acceptedRows.clone();
        tokens = tokens.clone();
    }

    /** Accepted draft tokens. */
    public int acceptedCount() {
        return acceptedRows.length;
    }

    /**
     * The window rows the cache keeps after this verdict, ascending: row 0 (the last committed
     * token), then {@code acceptedRows[i] + 1} for each accepted draft row.
     */
    public int[] keptWindowRows() {
        int[] kept = new int[acceptedRows.length + 1];
        for (int i = 0; i < acceptedRows.length; i++) {
            kept[i + 1] = acceptedRows[i] + 1;
        }
        return kept;
    }

    /** Spec-Bench's accept length of the round: accepted + 1. */
    public int acceptLength() {
        return tokens.length;
    }

    /** The correction or bonus token. */
    public int finalToken() {
        return tokens[tokens.length - 1];
    }

    @Override
    public int[] acceptedRows() {
        return acceptedRows.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public String toString() {
        return "Verdict[acceptedRows=" + Arrays.toString(acceptedRows) + ", tokens=" + Arrays.toString(tokens)
                + ", " + ending + "]";
    }
}
