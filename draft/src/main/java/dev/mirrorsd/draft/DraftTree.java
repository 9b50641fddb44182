package dev.mirrorsd.draft;

import dev.mirrorsd.core.speculative.DraftProposal;

import java.util.Arrays;

/**
 * The nodes of one round's draft tree, as EAGLE-2 grows it: node ids ascend in the order nodes were
 * made, parents first; a node's score is the log-probability of its whole path under the draft.
 * Shared by the dynamic-tree drafters. Not thread-safe.
 */
final class DraftTree {
    /** The {@code k} tokens of highest non-zero probability, best first. */
    static int[] top(float[] q, int k) {
        int[] best = new int[k];
        int found = 0;
        for (int i = 0; i < q.length; i++) {
            if (q[i] <= 0) {
                continue;
            }
            if (found < k) {
                found++;
            } else if (q[i] <= q[best[k - 1]]) {
                continue;
            }
            int j = found - 1;
            while (j > 0 && q[best[j - 1]] < q[i]) {
                best[j] = best[j - 1];
                j--;
            }
            best[j] = i;
        }
        return Arrays.copyOf(best, found);
    }

    private int[] tokens = new int[0];
    private int[] parents = new int[0];
    private double[] scores = new double[0];
    private int size;

    void reset(int capacity) {
        if (tokens.length < capacity) {
            tokens = new int[capacity];
            parents = new int[capacity];
            scores = new double[capacity];
        }
        size = 0;
    }

    void add(int token, int parent, double score) {
        tokens[size] = token;
        parents[size] = parent;
        scores[size] = score;
        size++;
    }

    int size() {
        return size;
    }

    int token(int node) {
        return tokens[node];
    }

    int parent(int node) {
        return parents[node];
    }

    double score(int node) {
        return scores[node];
    }

    /** Writes the path to {@code node} after {@code out[0..length)}; returns the new length. */
    int path(int node, int[] out, int length) {
        int depth = 0;
        for (int n = node; n >= 0; n = parents[n]) {
            depth++;
        }
        for (int n = node, i = length + depth - 1; n >= 0; n = parents[n], i--) {
            out[i] = tokens[n];
        }
        return length + depth;
    }

    /** Every node on the paths to {@code nodes}, ascending. */
    int[] closure(int[] nodes) {
        boolean[] in = new boolean[size];
        for (int node : nodes) {
            for (int n = node; n >= 0 && !in[n]; n = parents[n]) {
                in[n] = true;
            }
        }
        int count = 0;
        int[] out = new int[size];
        for (int n = 0; n < size; n++) {
            if (in[n]) {
                out[count++] = n;
            }
        }
        return Arrays.copyOf(out, count);
    }

    /** Up to {@code k} nodes of ids {@code from..to-1}, best score first (ties: the earlier node). */
    int[] best(int from, int to, int k) {
        Integer[] ids = new Integer[to - from];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = from + i;
        }
        Arrays.sort(ids, (a, b) -> scores[a] != scores[b] ? Double.compare(scores[b], scores[a])
                : Integer.compare(a, b));
        int n = Math.min(k, ids.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = ids[i];
        }
        return out;
    }

    /**
     * The {@code budget} best nodes as a proposal, best first. A node whose parent did not make
     * the cut is skipped (only possible on ties), so the rows always form a tree.
     */
    DraftProposal proposal(int budget) {
        int[] ranked = best(0, size, size);
        int[] row = new int[size];
        Arrays.fill(row, -1);
        int[] outTokens = new int[Math.min(budget, size)];
        int[] outParents = new int[outTokens.length];
        int n = 0;
        for (int i = 0; i < ranked.length && n < outTokens.length; i++) {
            int node = ranked[i];
            int parent = parents[node];
            if (parent >= 0 && row[parent] < 0) {
                continue;
            }
            row[node] = n;
            outTokens[n] = tokens[node];
            outParents[n] = parent < 0 ? -1 : row[parent];
            n++;
        }
        return DraftProposal.tree(Arrays.copyOf(outTokens, n), Arrays.copyOf(outParents, n));
    }
}
