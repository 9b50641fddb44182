package dev.mirrorsd.engine.java;

import java.util.Arrays;

/**
 * {@code out = x @ W^T} for block-format weights, split over output rows on a {@link RowPool}.
 * One row of x dots each weight row straight from its blocks. A window of several rows reads each
 * weight row once: quantized rows meet four window rows per pass over their blocks, each block
 * widened once in registers; float formats widen the row into a per-worker scratch row that stays
 * in L1, and every window row dots it there. Either way the weights cross the memory bus once per
 * window, not once per row. A long window (a prompt) widens every format's rows, a panel of them at
 * a time, transposed, and runs as a small matrix product over the panel ({@link Kernels#panel4}),
 * since unpacking blocks again for every four rows would cost more than the products.
 */
final class Matmul {
    /**
     * From this many window rows weight rows are widened once and met by the rows as floats: their
     * blocks' unpacking, which dominates the four-row kernels, is then shared by the whole window.
     */
    static final int WIDEN_ROWS = 32;
    /** Columns of a panel (times {@link Kernels#PANEL} floats: 16 KiB on AVX2) that stay in L1 while the window passes. */
    private static final int K_BLOCK = 256;

    private final RowPool pool;
    private final float[][] scratch; // per worker (maxCols): a widened weight row
    private final float[][] panels;  // per worker (maxCols, PANEL): widened weight rows, transposed
    private final float[][] acc;     // per worker (window rows, PANEL): a prompt's sums, grown on demand
    private final float[][] sums;    // per worker (window rows, cols / 32): x's block sums, grown on demand

    Matmul(RowPool pool, int maxCols) {
        this.pool = pool;
        this.scratch = new float[pool.threads()][maxCols];
        this.panels = new float[pool.threads()][maxCols * Kernels.PANEL];
        this.acc = new float[pool.threads()][0];
        this.sums = new float[pool.threads()][0];
    }

    RowPool pool() {
        return pool;
    }

    /**
     * For each {@code i}: {@code outs[i] (w, ms[i].rows) = x (w, cols) @ ms[i]^T}; the matrices share
     * {@code cols} and run as one split of their rows together (q/k/v, gate/up).
     */
    void multiply(Matrix[] ms, float[][] outs, float[] x, int w) {
        int cols = ms[0].cols();
        int total = 0;
        for (Matrix m : ms) {
            if (m.cols() != cols) {
                throw new IllegalArgumentException(m.name() + " has " + m.cols() + " columns, expected " + cols);
            }
            total += m.rows();
        }
        pool.run(total, (long) cols * w, (from, to, worker) -> {
            int first = 0;
            for (int i = 0; i < ms.length; i++) {
                Matrix m = ms[i];
                int lo = Math.max(from, first) - first;
                int hi = Math.min(to, first + m.rows()) - first;
                if (lo < hi) {
                    rows(m, lo, hi, null, x, w, outs[i], m.rows(), worker);
                }
                first += m.rows();
            }
        });
    }

    void multiply(Matrix m, float[] out, float[] x, int w) {
        multiply(new Matrix[] {m}, new float[][] {out}, x, w);
    }

    /** {@code out (w, ids.length)}: only the weight rows {@code ids}, in that order (a narrowed LM head). */
    void multiplyRows(Matrix m, int[] ids, float[] out, float[] x, int w) {
        for (int id : ids) {
            if (id < 0 || id >= m.rows()) {
                throw new IllegalArgumentException("row id " + id + " outside " + m.name() + "'s " + m.rows() + " rows");
            }
        }
        pool.run(ids.length, (long) m.cols() * w, (from, to, worker) -> rows(m, from, to, ids, x, w, out, ids.length, worker));
    }

    /**
     * Output columns {@code lo..hi-1} (weight rows {@code ids[c]} or {@code c}) of {@code out (w, width)}.
     * Each kind of pass has a loop of its own: one compiled method serving them all was compiled for
     * decoding's one-row passes, then thrown out and compiled again as windows and prompts came, and
     * the final code for windows ran from three to four and a half one-row passes a window, from one
     * process to the next.
     */
    private void rows(Matrix m, int lo, int hi, int[] ids, float[] x, int w, float[] out, int width, int worker) {
        if (w >= WIDEN_ROWS) { // a prompt widens every row, so it needs no block sums
            prompt(m, lo, hi, ids, x, w, out, width, worker);
        } else if (w == 1 && m.hasFusedDot()) {
            oneRow(m, lo, hi, ids, x, blockSums(m, worker, x, 1), out);
        } else if (w >= 4 && m.hasFourRowDot()) {
            fourRows(m, lo, hi, ids, x, w, blockSums(m, worker, x, w), out, width);
        } else {
            widened(m, lo, hi, ids, x, w, out, width, scratch[worker]);
        }
    }

    private static void oneRow(Matrix m, int lo, int hi, int[] ids, float[] x, float[] xs, float[] out) {
        for (int c = lo; c < hi; c++) {
            out[c] = m.dot(ids == null ? c : ids[c], x, 0, xs, 0);
        }
    }

    /** Window rows four at a time against each weight row, the rest one at a time while the row is in cache. */
    private static void fourRows(Matrix m, int lo, int hi, int[] ids, float[] x, int w, float[] xs, float[] out,
                                 int width) {
        int cols = m.cols();
        int blocks = cols / 32;
        for (int c = lo; c < hi; c++) {
            int id = ids == null ? c : ids[c];
            int r = 0;
            for (; r + 4 <= w; r += 4) {
                m.dot4(id, x, r, out, r * width + c, width);
            }
            for (; r < w; r++) {
                out[r * width + c] = m.dot(id, x, r * cols, xs, r * blocks);
            }
        }
    }

    /** Each weight row widened once into {@code row}, which stays in L1 while every window row dots it. */
    private static void widened(Matrix m, int lo, int hi, int[] ids, float[] x, int w, float[] out, int width,
                                float[] row) {
        int cols = m.cols();
        for (int c = lo; c < hi; c++) {
            m.widenRow(ids == null ? c : ids[c], row, 0);
            for (int r = 0; r < w; r++) {
                out[r * width + c] = Kernels.dot(row, 0, x, r * cols, cols);
            }
        }
    }

    /**
     * A long window (a prompt): weight rows {@code PANEL} at a time, widened once into a transposed
     * panel, then every window row meets the panel {@code K_BLOCK} columns at a time, so that the
     * panel's block stays in L1 while all the rows pass over it; sums gather in a per-worker
     * {@code (w, PANEL)} buffer until the last block.
     */
    private void prompt(Matrix m, int lo, int hi, int[] ids, float[] x, int w, float[] out, int width, int worker) {
        int cols = m.cols();
        int pw = Kernels.PANEL;
        float[] row = scratch[worker];
        float[] panel = panels[worker];
        if (acc[worker].length < w * pw) {
            acc[worker] = new float[w * pw];
        }
        float[] sums = acc[worker];
        for (int c = lo; c < hi; c += pw) {
            int n = Math.min(pw, hi - c);
            for (int j = 0; j < pw; j++) {
                if (j < n) {
                    m.widenRow(ids == null ? c + j : ids[c + j], row, 0);
                    for (int k = 0; k < cols; k++) {
                        panel[k * pw + j] = row[k];
                    }
                } else {
                    for (int k = 0; k < cols; k++) {
                        panel[k * pw + j] = 0f;
                    }
                }
            }
            Arrays.fill(sums, 0, w * pw, 0f);
            for (int k0 = 0; k0 < cols; k0 += K_BLOCK) {
                int k1 = Math.min(cols, k0 + K_BLOCK);
                for (int r = 0; r < w; r += 4) {
                    Kernels.panel4(panel, k0, k1, x, cols, r, Math.min(4, w - r), sums);
                }
            }
            for (int r = 0; r < w; r++) {
                System.arraycopy(sums, r * pw, out, r * width + c, n);
            }
        }
    }

    /**
     * The block sums of window rows {@code 0..w-1} of {@code x (w, cols)}, row-major, in this
     * worker's buffer: every weight row of the worker's range reads the same ones. Null where
     * {@code m}'s kernels read none.
     */
    private float[] blockSums(Matrix m, int worker, float[] x, int w) {
        if (!m.readsBlockSums()) {
            return null;
        }
        int cols = m.cols();
        int blocks = cols / 32;
        if (sums[worker].length < w * blocks) {
            sums[worker] = new float[w * blocks];
        }
        float[] out = sums[worker];
        for (int r = 0; r < w; r++) {
            Kernels.blockSums(x, r * cols, cols, out, r * blocks);
        }
        return out;
    }
}
