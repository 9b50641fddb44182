package dev.mirrorsd.core.model;

import java.util.Arrays;

/**
 * A sequence whose engine takes at most {@code maxWindow} rows per forward pass (a compiled graph's
 * declared limit) and that still accepts a longer chain, such as a prompt: the chain's head is fed
 * in full passes of {@code maxWindow} rows, and the pass returned covers its last rows. Logits are
 * kept for those last rows only, which is what a prefill or a drafter asks for (the last row, or
 * the last few); a tree window past the limit is refused. Closing the pass before its last layer
 * drops the head too, so the cache is left as it was, as {@link Sequence#begin} promises. A
 * {@link PrefillProgress} listener bound by the caller hears after each chunk.
 */
public final class ChunkedSequence implements Sequence {

    private final Sequence inner;
    private final int maxWindow;

    public ChunkedSequence(Sequence inner, int maxWindow) {
        if (maxWindow < 1) {
            throw new IllegalArgumentException("maxWindow must be positive, got " + maxWindow);
        }
        this.inner = inner;
        this.maxWindow = maxWindow;
    }

    @Override
    public int length() {
        return inner.length();
    }

    @Override
    public int capacity() {
        return inner.capacity();
    }

    @Override
    public int maxWindow() {
        return Math.min(maxWindow, inner.maxWindow());
    }

    @Override
    public ForwardPass begin(Window window) {
        int n = window.size();
        if (n <= maxWindow) {
            return inner.begin(window);
        }
        if (!window.isChain()) {
            throw new IllegalArgumentException("a tree window of " + n + " rows exceeds this model's limit of "
                    + maxWindow + " rows per pass; only chains (prompts) are fed in chunks");
        }
        if (inner.length() + n > inner.capacity()) {
            throw new IllegalStateException("window of " + n + " after " + inner.length()
                    + " cached positions exceeds the capacity " + inner.capacity());
        }
        int base = inner.length();
        int head = n - maxWindow;
        PrefillProgress.Listener progress = PrefillProgress.current();
        try {
            for (int from = 0; from < head; from += maxWindow) {
                int to = Math.min(head, from + maxWindow);
                try (ForwardPass pass = inner.begin(slice(window, from, to))) {
                    pass.runTo(pass.layers());
                }
                progress.fed(to, n);
            }
            return new TailPass(inner.begin(slice(window, head, n)), head, base, progress);
        } catch (RuntimeException e) {
            inner.truncate(base);
            throw e;
        }
    }

    /** As {@link Sequence#forward}, refusing rows that would keep no logits before anything runs. */
    @Override
    public Logits forward(Window window, int fromRow) {
        if (window.size() > maxWindow && fromRow < window.size() - maxWindow) {
            throw new IllegalArgumentException("logits from row " + fromRow + " of a window of " + window.size()
                    + " rows: fed in chunks of " + maxWindow + " rows, only the last " + maxWindow + " rows keep logits");
        }
        return Sequence.super.forward(window, fromRow);
    }

    private static Window slice(Window window, int from, int to) {
        return Window.chain(Arrays.copyOfRange(window.tokens(), from, to), window.positions()[from]);
    }

    @Override
    public void truncate(int length) {
        inner.truncate(length);
    }

    @Override
    public void compact(int base, int[] keptRows) {
        inner.compact(base, keptRows);
    }

    @Override
    public void close() {
        inner.close();
    }

    /** The pass over a chunked chain's last rows; row r of the whole window is row r - offset here. */
    private final class TailPass implements ForwardPass {
        private final ForwardPass tail;
        private final int offset;
        private final int base;
        private PrefillProgress.Listener progress; // until the last layer has run

        TailPass(ForwardPass tail, int offset, int base, PrefillProgress.Listener progress) {
            this.tail = tail;
            this.offset = offset;
            this.base = base;
            this.progress = progress;
        }

        @Override
        public int layers() {
            return tail.layers();
        }

        @Override
        public int layersDone() {
            return tail.layersDone();
        }

        @Override
        public void runTo(int layer) {
            tail.runTo(layer);
            if (progress != null && tail.layersDone() == tail.layers()) {
                progress.fed(offset + maxWindow, offset + maxWindow); // the tail is the last maxWindow rows
                progress = null;
            }
        }

        @Override
        public Logits logits(int fromRow) {
            return tail.logits(row(fromRow));
        }

        @Override
        public Logits logits(int fromRow, int[] vocabulary) {
            return tail.logits(row(fromRow), vocabulary);
        }

        @Override
        public int multiTokenHeads() {
            return tail.multiTokenHeads();
        }

        @Override
        public Logits multiTokenLogits(int head, int fromRow) {
            return tail.multiTokenLogits(head, row(fromRow));
        }

        private int row(int fromRow) {
            if (fromRow < offset) {
                throw new IllegalArgumentException("row " + fromRow + " of a window fed in chunks of " + maxWindow
                        + " rows: only the last " + maxWindow + " rows keep logits");
            }
            return fromRow - offset;
        }

        @Override
        public void close() {
            boolean complete = tail.layersDone() == tail.layers();
            tail.close();
            if (!complete) {
                inner.truncate(base);
            }
        }
    }
}
