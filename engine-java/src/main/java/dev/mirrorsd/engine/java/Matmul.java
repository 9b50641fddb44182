package dev.mirrorsd.engine.java;

/**
 * {@code out = x @ W^T} for block-format weights, split over output rows on a {@link RowPool}.
 * One row of x dots each weight row straight from its blocks. A window of several rows reads each
 * weight row once: Q4_1 and Q8_0 rows meet four window rows per pass over their blocks, each block
 * widened once in registers; other formats widen the row into a per-worker scratch row that stays
 * in L1, and every window row dots it there. Either way the weights cross the memory bus once per
 * window, not once per row. A long window (a prompt) goes a slice of rows at a time, each slice
 * small enough to stay in L2; Q4_1 and Q8_0 rows are then widened too, two at a time, once per
 * slice, since unpacking their blocks again for every four rows would cost more than the products.
 */
final class Matmul {
    /** Floats of window rows (256 KiB) that one pass over a range of weight rows reads. */
    private static final int X_SLICE_FLOATS = 64 * 1024;
    /**
     * From this many window rows a weight row is widened once and met by the rows as floats: its
     * blocks' unpacking, which dominates the four-row kernels, is then shared by the whole slice.
     */
    static final int WIDEN_ROWS = 32;

    private final RowPool pool;
    private final float[][] scratch; // per worker (2, maxCols): widened weight rows
    private final float[][] sums;    // per worker (window rows, cols / 32): x's block sums, grown on demand

    Matmul(RowPool pool, int maxCols) {
        this.pool = pool;
        this.scratch = new float[pool.threads()][2 * maxCols];
        this.sums = new float[pool.threads()][0];
    }

    /** Window rows per slice of a long window: a multiple of four. */
    static int sliceRows(int cols) {
        return Math.max(4, X_SLICE_FLOATS / cols / 4 * 4);
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

    /** Output columns {@code lo..hi-1} (weight rows {@code ids[c]} or {@code c}) of {@code out (w, width)}. */
    private void rows(Matrix m, int lo, int hi, int[] ids, float[] x, int w, float[] out, int width, int worker) {
        int cols = m.cols();
        int blocks = cols / 32;
        float[] xs = m.readsBlockSums() ? blockSums(worker, x, w, cols) : null;
        if (w == 1 && m.hasFusedDot()) {
            for (int c = lo; c < hi; c++) {
                out[c] = m.dot(ids == null ? c : ids[c], x, 0, xs, 0);
            }
            return;
        }
        if (w >= WIDEN_ROWS && m.hasFourRowDot()) {
            // a long window (a prompt) meets the weights a slice of rows at a time, so that the slice
            // stays in L2 while every weight row of the range passes over it, widened once per slice
            float[] rows = scratch[worker];
            int slice = sliceRows(cols);
            for (int r0 = 0; r0 < w; r0 += slice) {
                int r1 = Math.min(w, r0 + slice);
                int c = lo;
                for (; c + 2 <= hi; c += 2) {
                    for (int k = 0; k < 2; k++) {
                        m.widenRow(ids == null ? c + k : ids[c + k], rows, k * cols);
                    }
                    int r = r0;
                    for (; r + 4 <= r1; r += 4) {
                        Kernels.dot2x4(rows, cols, x, r, out, r * width + c, width);
                    }
                    for (; r < r1; r++) {
                        for (int k = 0; k < 2; k++) {
                            out[r * width + c + k] = m.dot(ids == null ? c + k : ids[c + k], x, r * cols, xs, r * blocks);
                        }
                    }
                }
                for (; c < hi; c++) {
                    int id = ids == null ? c : ids[c];
                    m.widenRow(id, rows, 0);
                    int r = r0;
                    for (; r + 4 <= r1; r += 4) {
                        Kernels.dot4(rows, cols, x, r, out, r * width + c, width);
                    }
                    for (; r < r1; r++) {
                        out[r * width + c] = m.dot(id, x, r * cols, xs, r * blocks);
                    }
                }
            }
            return;
        }
        if (w >= 4 && m.hasFourRowDot()) {
            for (int c = lo; c < hi; c++) {
                int id = ids == null ? c : ids[c];
                int r = 0;
                for (; r + 4 <= w; r += 4) {
                    m.dot4(id, x, r, out, r * width + c, width);
                }
                for (; r < w; r++) { // the row's blocks are in cache now
                    out[r * width + c] = m.dot(id, x, r * cols, xs, r * blocks);
                }
            }
            return;
        }
        float[] row = scratch[worker];
        for (int c = lo; c < hi; c++) {
            m.widenRow(ids == null ? c : ids[c], row, 0);
            for (int r = 0; r < w; r++) {
                out[r * width + c] = Kernels.dot(row, 0, x, r * cols, cols);
            }
        }
    }

    /**
     * The block sums of window rows {@code 0..w-1} of {@code x (w, cols)}, row-major, in this
     * worker's buffer: every weight row of the worker's range reads the same ones.
     */
    private float[] blockSums(int worker, float[] x, int w, int cols) {
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
