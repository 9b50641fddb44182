package dev.mirrorsd.core.model;

import java.util.Arrays;

/**
 * New positions fed to a model in one forward pass: a chain (prefill, one decode step, a draft
 * chain) or a tree of draft branches verified together.
 *
 * <p>Attention rule: row {@code i} sees every position already in the KV cache and the window rows
 * on its own path to the root ({@code i}, {@code parents[i]}, {@code parents[parents[i]]}, ...).
 * A chain has {@code parents[i] = i - 1}.
 *
 * @param tokens    token id per row, {@code (window)}
 * @param positions absolute position per row (RoPE), {@code (window)}; a tree row sits at
 *                  cache length + its depth
 * @param parents   window row of each row's parent, or -1 for a row attached to the cache end,
 *                  {@code (window)}; always smaller than the row itself
 */
public record Window(int[] tokens, int[] positions, int[] parents) {

    public Window {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a window needs at least one token");
        }
        if (positions.length != tokens.length || parents.length != tokens.length) {
            throw new IllegalArgumentException("tokens, positions and parents differ in length: "
                    + tokens.length + ", " + positions.length + ", " + parents.length);
        }
        for (int i = 0; i < parents.length; i++) {
            if (parents[i] >= i || parents[i] < -1) {
                throw new IllegalArgumentException("parents[" + i + "] = " + parents[i] + " must be in [-1, " + i + ")");
            }
        }
    }

    /** A chain of tokens placed right after {@code start} cached positions. */
    public static Window chain(int[] tokens, int start) {
        int[] positions = new int[tokens.length];
        int[] parents = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            positions[i] = start + i;
            parents[i] = i - 1;
        }
        return new Window(tokens.clone(), positions, parents);
    }

    /** A tree whose roots attach to {@code start} cached positions; positions follow depth. */
    public static Window tree(int[] tokens, int[] parents, int start) {
        int[] positions = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            positions[i] = parents[i] < 0 ? start : positions[parents[i]] + 1;
        }
        return new Window(tokens.clone(), positions, parents.clone());
    }

    public int size() {
        return tokens.length;
    }

    public boolean isChain() {
        for (int i = 0; i < parents.length; i++) {
            if (parents[i] != i - 1) {
                return false;
            }
        }
        return true;
    }

    /** Whether row {@code row} may attend to window row {@code other} (its ancestor or itself). */
    public boolean sees(int row, int other) {
        for (int r = row; r >= 0; r = parents[r]) {
            if (r == other) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "Window[tokens=" + Arrays.toString(tokens) + ", parents=" + Arrays.toString(parents) + "]";
    }
}
