package dev.mirrorsd.core.tokenizer;

import dev.mirrorsd.core.model.ModelFormatException;

import java.util.Arrays;
import java.util.List;

/**
 * A BPE vocabulary's merges, and the merging of one word's symbols by them. The merging is Hugging
 * Face tokenizers' {@code Word::merge_all} step for step (without dropout): a queue of candidate
 * pairs by rank then position, so the best-ranked pair merges first and, among equals, the leftmost;
 * a queued pair whose symbols have merged since is skipped (as there, by the token it would make:
 * a merge only lengthens the text of the pair at a position, so a pair that still makes the same
 * token is the same pair).
 *
 * <p>Immutable, so safe to share between threads.
 */
final class BpeMerges {
    private static final long EMPTY = -1L;

    private final long[] keys;        // (capacity) left id << 32 | right id, EMPTY where free
    private final int[] ranks;        // (capacity) the pair's rank, its index in the merges list
    private final int[] mergedByRank; // (merges) id of the token a merge makes
    private final int mask;

    private BpeMerges(long[] keys, int[] ranks, int[] mergedByRank) {
        this.keys = keys;
        this.ranks = ranks;
        this.mergedByRank = mergedByRank;
        this.mask = keys.length - 1;
    }

    /**
     * Merges in rank order, each a line "left right" of two vocabulary tokens whose concatenation is
     * a token too; a pair listed twice keeps its last rank, as tokenizers' map of merges does.
     */
    static BpeMerges of(List<String> merges, BpeVocabulary vocab) {
        int capacity = Integer.highestOneBit(Math.max(2, merges.size() * 2 - 1)) << 1;
        long[] keys = new long[capacity];
        Arrays.fill(keys, EMPTY);
        int[] ranks = new int[capacity];
        int[] mergedByRank = new int[merges.size()];
        BpeMerges table = new BpeMerges(keys, ranks, mergedByRank);
        for (int rank = 0; rank < merges.size(); rank++) {
            String m = merges.get(rank);
            int space = m.indexOf(' ');
            if (space <= 0 || space == m.length() - 1 || m.indexOf(' ', space + 1) >= 0) {
                throw new ModelFormatException("merge " + rank + " '" + m + "' is not two tokens separated by one space");
            }
            int left = vocab.id(m, 0, space);
            int right = vocab.id(m, space + 1, m.length());
            int merged = vocab.idOfConcatenation(m, 0, space, m, space + 1, m.length());
            if (left < 0 || right < 0 || merged < 0) {
                String missing = left < 0 ? m.substring(0, space) : right < 0 ? m.substring(space + 1)
                        : m.substring(0, space) + m.substring(space + 1);
                throw new ModelFormatException("merge " + rank + " '" + m + "': '" + missing + "' is not in the vocabulary");
            }
            mergedByRank[rank] = merged;
            table.put(key(left, right), rank);
        }
        return table;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private void put(long key, int rank) {
        int slot = slot(key);
        while (keys[slot] != EMPTY && keys[slot] != key) {
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        ranks[slot] = rank;
    }

    /** The rank of merging {@code left} then {@code right}, or -1 when no merge joins them. */
    private int rank(int left, int right) {
        long key = key(left, right);
        for (int slot = slot(key); keys[slot] != EMPTY; slot = (slot + 1) & mask) {
            if (keys[slot] == key) {
                return ranks[slot];
            }
        }
        return -1;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }

    /** The ids {@code symbols[0..count)} merge into. */
    int[] merge(int[] symbols, int count) {
        int[] c = Arrays.copyOf(symbols, count);
        int[] prev = new int[count];
        int[] next = new int[count];
        boolean[] removed = new boolean[count];
        for (int i = 0; i < count; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }
        LongMinHeap queue = new LongMinHeap(count);
        for (int i = 0; i + 1 < count; i++) {
            queue.pushIfMerges(rank(c[i], c[i + 1]), i);
        }
        while (!queue.isEmpty()) {
            long top = queue.pop();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            if (removed[pos] || next[pos] == -1) {
                continue;
            }
            int right = next[pos];
            int current = rank(c[pos], c[right]);
            if (current < 0 || mergedByRank[current] != mergedByRank[rank]) {
                continue; // stale: the pair here has changed since it was queued
            }
            c[pos] = mergedByRank[rank];
            removed[right] = true;
            next[pos] = next[right];
            if (next[pos] != -1) {
                prev[next[pos]] = pos;
            }
            if (prev[pos] >= 0) {
                queue.pushIfMerges(rank(c[prev[pos]], c[pos]), prev[pos]);
            }
            if (next[pos] != -1) {
                queue.pushIfMerges(rank(c[pos], c[next[pos]]), pos);
            }
        }
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (!removed[i]) {
                c[kept++] = c[i];
            }
        }
        return Arrays.copyOf(c, kept);
    }

    /** Candidate merges as rank << 32 | position, lowest (best rank, then leftmost) first. */
    private static final class LongMinHeap {
        private long[] heap;
        private int size;

        LongMinHeap(int capacity) {
            heap = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void pushIfMerges(int rank, int pos) {
            if (rank < 0) {
                return;
            }
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            long v = ((long) rank << 32) | pos;
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (heap[parent] <= v) {
                    break;
                }
                heap[i] = heap[parent];
                i = parent;
            }
            heap[i] = v;
        }

        long pop() {
            long top = heap[0];
            long last = heap[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && heap[child + 1] < heap[child]) {
                    child++;
                }
                if (heap[child] >= last) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = last;
            return top;
        }
    }
}
