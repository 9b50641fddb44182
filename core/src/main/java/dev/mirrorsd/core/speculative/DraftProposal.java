package dev.mirrorsd.core.speculative;

import java.util.Arrays;

/**
 * What the draft proposes for one round: draft rows forming a chain or a tree, and, for sampling,
 * the distribution each row's token was drawn from.
 *
 * <p>Rows are numbered {@code 0..size()-1}, parents before children. A row whose parent is
 * {@code -1} follows the last committed token (the root). The children of a node are ordered by row
 * index; that is the order in which the verifier tries them.
 *
 * <p>Draft distributions (already through the same {@code LogitsProcessor} as the target's):
 * {@code draftDistribution(r)} is the distribution row r's token was drawn from <em>given its path
 * and its earlier siblings</em>. For siblings drawn i.i.d. from the parent's distribution q that is
 * q itself (the same array may be shared); {@code null} means the token was chosen
 * deterministically (greedy draft, top-k children), i.e. a point mass at the token. The whole
 * array may be absent: every row is then deterministic.
 *
 * <p>Immutable as far as this class goes: token and parent arrays are copied in, and read through
 * the accessors; the draft distributions are shared, not copied (vocabulary-sized), so the caller
 * must not change them until the round is verified.
 */
public final class DraftProposal {

    private final int[] tokens;                // (rows) draft token per row
    private final int[] parents;               // (rows) parent row, -1 for the root's children
    private final float[][] draftDistributions; // (rows)(vocab) or null entries; null = all deterministic
    private final int[] firstChild;            // (rows + 1) first child of node n at [n + 1], or -1
    private final int[] nextSibling;           // (rows) next child of the same parent, or -1

    private DraftProposal(int[] tokens, int[] parents, float[][] draftDistributions) {
        if (tokens.length != parents.length) {
            throw new IllegalArgumentException("tokens and parents differ in length: " + tokens.length + " vs "
                    + parents.length);
        }
        if (draftDistributions != null && draftDistributions.length != tokens.length) {
            throw new IllegalArgumentException(tokens.length + " draft rows but " + draftDistributions.length
                    + " draft distributions");
        }
        this.tokens = tokens.clone();
        this.parents = parents.clone();
        this.draftDistributions = draftDistributions == null ? null : draftDistributions.clone();
        this.firstChild = new int[tokens.length + 1];
        this.nextSibling = new int[tokens.length];
        Arrays.fill(firstChild, -1);
        Arrays.fill(nextSibling, -1);
        int[] lastChild = new int[tokens.length + 1];
        Arrays.fill(lastChild, -1);
        for (int r = 0; r < tokens.length; r++) {
            if (parents[r] < -1 || parents[r] >= r) {
                throw new IllegalArgumentException("parents[" + r + "] = " + parents[r] + " must be in [-1, " + r + ")");
            }
            if (tokens[r] < 0) {
                throw new IllegalArgumentException("tokens[" + r + "] = " + tokens[r] + " is negative");
            }
            float[] q = draftDistribution(r);
            if (q != null && (tokens[r] >= q.length || !(q[tokens[r]] > 0))) {
                throw new IllegalArgumentException("draft row " + r + " has token " + tokens[r]
                        + " to which its draft distribution gives no probability");
            }
            int slot = parents[r] + 1;
            if (lastChild[slot] < 0) {
                firstChild[slot] = r;
            } else {
                nextSibling[lastChild[slot]] = r;
            }
            lastChild[slot] = r;
        }
    }

    /** A chain {@code tokens[0], tokens[1], ...} after the last committed token. */
    public static DraftProposal chain(int[] tokens, float[][] draftDistributions) {
        int[] parents = new int[tokens.length];
        for (int i = 0; i < parents.length; i++) {
            parents[i] = i - 1;
        }
        return new DraftProposal(tokens, parents, draftDistributions);
    }

    /** A chain of deterministic (greedy) draft tokens. */
    public static DraftProposal chain(int... tokens) {
        return chain(tokens, null);
    }

    /** A tree; {@code parents[r] < r}, {@code -1} for the root's children. */
    public static DraftProposal tree(int[] tokens, int[] parents, float[][] draftDistributions) {
        return new DraftProposal(tokens, parents, draftDistributions);
    }

    /** A tree of deterministic draft tokens. */
    public static DraftProposal tree(int[] tokens, int[] parents) {
        return new DraftProposal(tokens, parents, null);
    }

    /**
     * The first {@code rows} rows: still a valid proposal, since parents come before children.
     * Used when a window must fit the room left in a KV cache.
     */
    public DraftProposal firstRows(int rows) {
        if (rows >= tokens.length) {
            return this;
        }
        return new DraftProposal(Arrays.copyOf(tokens, rows), Arrays.copyOf(parents, rows),
                draftDistributions == null ? null : Arrays.copyOf(draftDistributions, rows));
    }

    /**
     * This proposal with one more path from the root: {@code path}'s tokens follow the rows that
     * already hold them and go on as new deterministic rows (point masses), appended after the
     * others, from the first token no child of the node reached so far holds. The proposal itself
     * when the whole path is already in it.
     */
    public DraftProposal withPath(int[] path) {
        int node = -1;
        int matched = 0;
        while (matched < path.length) {
            int child = child(node, path[matched]);
            if (child < 0) {
                break;
            }
            node = child;
            matched++;
        }
        if (matched == path.length) {
            return this;
        }
        int rows = tokens.length + path.length - matched;
        int[] newTokens = Arrays.copyOf(tokens, rows);
        int[] newParents = Arrays.copyOf(parents, rows);
        for (int r = tokens.length; r < rows; r++) {
            newTokens[r] = path[matched++];
            newParents[r] = node;
            node = r;
        }
        return new DraftProposal(newTokens, newParents,
                draftDistributions == null ? null : Arrays.copyOf(draftDistributions, rows));
    }

    /** Draft rows. */
    public int size() {
        return tokens.length;
    }

    public int token(int row) {
        return tokens[row];
    }

    public int parent(int row) {
        return parents[row];
    }

    /** The distribution row's token was drawn from, or {@code null} for a deterministic token (point mass). */
    public float[] draftDistribution(int row) {
        return draftDistributions == null ? null : draftDistributions[row];
    }

    /** First child of {@code node} ({@code -1} = the root), or -1 for a leaf. */
    public int firstChild(int node) {
        return firstChild[node + 1];
    }

    /** The first child of {@code node} ({@code -1} = the root) that holds {@code token}, or -1. */
    public int child(int node, int token) {
        int child = firstChild(node);
        while (child >= 0 && tokens[child] != token) {
            child = nextSibling[child];
        }
        return child;
    }

    /** The child of the same parent after {@code row}, or -1. */
    public int nextSibling(int row) {
        return nextSibling[row];
    }

    public boolean isChain() {
        for (int r = 0; r < parents.length; r++) {
            if (parents[r] != r - 1) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "DraftProposal[tokens=" + Arrays.toString(tokens) + ", parents=" + Arrays.toString(parents)
                + (draftDistributions == null ? ", deterministic" : "") + "]";
    }
}
