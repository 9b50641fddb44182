package dev.mirrorsd.engine.java;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.util.Arrays;

import static dev.mirrorsd.engine.java.Kernels.F;
import static dev.mirrorsd.engine.java.Kernels.LANES;

/**
 * Grouped-query attention of a window's rows over the KV cache, a block of positions at a time with
 * an online softmax (a running maximum and sum per query, the values summed per block and rescaled
 * when the maximum grows), so no (rows, positions) matrix is ever built.
 *
 * <p>Keys are cached transposed in tiles of {@link #TILE} positions: per KV head, tile after tile,
 * each tile {@code (headDim, TILE)}. A query's scores for a tile are then {@code headDim} vector
 * multiply-adds over positions, not {@code TILE} dot products that each end in a horizontal sum;
 * a tile is one contiguous run, so a block streams from memory. Values are one run of positions per
 * KV head, so they stream too.
 *
 * <p>A work item is one KV head and up to {@link #ROWS} window rows: the {@code group} query heads
 * of that KV head for all those rows, up to four at a time against each key tile, so a block of the
 * cache is read from memory once for all of them. A row sees the cached positions
 * and the window rows on its path; where that path is every row before it (a chain) that is the
 * one range {@code [0, start + r]}, otherwise the range {@code [0, start)} and the path's keys and
 * values gathered into a buffer. When the items are fewer than the threads could share (a decode
 * step), each range is cut into {@link #SPLIT}-position pieces whose softmax states merge at the
 * end; the cut depends on the shape alone, so results do not depend on the thread count.
 */
final class Attention {
    /** Positions per key tile: one vector of scores. */
    static final int TILE = LANES;
    /** Positions scored before their softmax update; a multiple of {@link #TILE}. */
    private static final int BLOCK = 256;
    /** Positions whose values are summed for every query before the next ones are read. */
    private static final int SUB = 32;
    /** Window rows per work item. */
    private static final int ROWS = 8;
    /** Positions per piece of a range when a pass has few items. */
    private static final int SPLIT = 512;
    /** Below this many items (KV heads times row blocks) ranges are split. */
    private static final int MIN_ITEMS = 16;

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int group;
    private final float scale;

    Attention(int heads, int kvHeads, int headDim) {
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(heads + " query heads do not share " + kvHeads + " KV heads evenly");
        }
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.group = heads / kvHeads;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    /** Floats of one layer's transposed keys for {@code capacity} positions. */
    static int keysLength(int capacity, int kvHeads, int headDim) {
        return Math.multiplyExact(Math.multiplyExact(padded(capacity), kvHeads), headDim);
    }

    private static int padded(int capacity) {
        return (capacity + TILE - 1) / TILE * TILE;
    }

    /** Index of element {@code d} of KV head {@code kvHead}'s key at {@code position} in transposed keys. */
    static int keyIndex(int capacity, int headDim, int kvHead, int position, int d) {
        int lane = position % TILE;
        return (kvHead * padded(capacity) + position - lane) * headDim + d * TILE + lane;
    }

    /** Stores {@code rows} keys {@code k (rows, kvHeads * headDim)} at positions {@code from..from+rows-1}. */
    void storeKeys(float[] keysT, int capacity, float[] k, int rows, int from) {
        int kvWidth = kvHeads * headDim;
        for (int r = 0; r < rows; r++) {
            for (int kv = 0; kv < kvHeads; kv++) {
                int at = keyIndex(capacity, headDim, kv, from + r, 0);
                int src = r * kvWidth + kv * headDim;
                for (int d = 0; d < headDim; d++) {
                    keysT[at + d * TILE] = k[src + d];
                }
            }
        }
    }

    /** Stores {@code rows} values {@code v (rows, kvHeads * headDim)} at positions {@code from..from+rows-1}. */
    void storeValues(float[] values, int capacity, float[] v, int rows, int from) {
        int kvWidth = kvHeads * headDim;
        for (int r = 0; r < rows; r++) {
            for (int kv = 0; kv < kvHeads; kv++) {
                System.arraycopy(v, r * kvWidth + kv * headDim, values, valueIndex(capacity, kv, from + r), headDim);
            }
        }
    }

    /** Index of KV head {@code kvHead}'s value at {@code position}: each head's values are one run of positions. */
    int valueIndex(int capacity, int kvHead, int position) {
        return (kvHead * capacity + position) * headDim;
    }

    /** Moves the key and value at position {@code from} to position {@code to}, every KV head. */
    void move(float[] keysT, float[] values, int capacity, int from, int to) {
        for (int kv = 0; kv < kvHeads; kv++) {
            int src = keyIndex(capacity, headDim, kv, from, 0);
            int dst = keyIndex(capacity, headDim, kv, to, 0);
            for (int d = 0; d < headDim; d++) {
                keysT[dst + d * TILE] = keysT[src + d * TILE];
            }
            System.arraycopy(values, valueIndex(capacity, kv, from), values, valueIndex(capacity, kv, to), headDim);
        }
    }

    /**
     * {@code out (w, heads * headDim)}: per window row {@code r} and query head, the softmax of
     * {@code q . key * scale} over the {@code start} cached positions and the window rows
     * {@code visible[r]} (ascending, cached at {@code start + row}), applied to their values.
     *
     * @param q      (w, heads * headDim), after RoPE
     * @param keysT  transposed keys of {@code capacity} positions, the window's already stored
     * @param values (kvHeads, capacity, headDim), the window's already stored
     */
    void attend(RowPool pool, float[] q, float[] keysT, float[] values, int capacity, int start, int[][] visible,
                float[] out) {
        int w = visible.length;
        int[] limit = new int[w];     // per row, the end of the range of positions it sees
        boolean[] gathered = new boolean[w]; // per row, whether its path is apart from that range
        boolean anyGathered = false;
        for (int r = 0; r < w; r++) {
            gathered[r] = visible[r].length != r + 1;
            limit[r] = gathered[r] ? start : start + r + 1;
            anyGathered |= gathered[r];
        }
        int rowBlocks = (w + ROWS - 1) / ROWS;
        int longest = start + w;
        int splits = kvHeads * rowBlocks >= MIN_ITEMS ? 1 : Math.max(1, (longest + SPLIT - 1) / SPLIT);
        Partials partials = splits == 1 ? null : new Partials(splits, w, heads, headDim);
        Scratch[] scratch = new Scratch[pool.threads()];
        boolean gather = anyGathered;
        int items = splits * kvHeads * rowBlocks;
        long work = 2L * ROWS * group * headDim * Math.max(1, longest / splits);
        pool.run(items, work, (from, to, worker) -> {
            if (scratch[worker] == null) {
                scratch[worker] = new Scratch(ROWS * group, headDim, gather ? w : 0);
            }
            Scratch s = scratch[worker];
            for (int item = from; item < to; item++) {
                // the last row blocks see the most positions: they go first, so the short ones fill in at the end
                int split = item % splits;
                int kv = item / splits % kvHeads;
                int r0 = (rowBlocks - 1 - item / (splits * kvHeads)) * ROWS;
                item(s, q, keysT, values, capacity, start, visible, limit, gathered, kv, r0, Math.min(w, r0 + ROWS),
                        split, splits, partials, out);
            }
        });
        if (partials != null) {
            partials.merge(out);
        }
    }

    private void item(Scratch s, float[] q, float[] keysT, float[] values, int capacity, int start, int[][] visible,
                      int[] limit, boolean[] gathered, int kv, int r0, int r1, int split, int splits,
                      Partials partials, float[] out) {
        int qWidth = heads * headDim;
        int n = (r1 - r0) * group;
        int longest = 0;
        for (int i = 0; i < n; i++) {
            int r = r0 + i / group;
            s.queryAt[i] = r * qWidth + (kv * group + i % group) * headDim;
            s.limit[i] = limit[r];
            longest = Math.max(longest, limit[r]);
        }
        Arrays.fill(s.max, 0, n, Float.NEGATIVE_INFINITY);
        Arrays.fill(s.sum, 0, n, 0f);
        Arrays.fill(s.acc, 0, n * headDim, 0f);
        int from = (int) ((long) longest * split / splits) / TILE * TILE;
        int to = split + 1 == splits ? longest : (int) ((long) longest * (split + 1) / splits) / TILE * TILE;
        range(s, q, 0, n, keysT, keyIndex(capacity, headDim, kv, 0, 0), values, valueIndex(capacity, kv, 0), headDim,
                from, to);
        if (split + 1 == splits) {
            for (int r = r0; r < r1; r++) {
                if (gathered[r]) {
                    path(s, q, (r - r0) * group, keysT, values, capacity, start, visible[r], kv);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            int r = r0 + i / group;
            int head = kv * group + i % group;
            if (partials != null) {
                partials.put(split, r, head, s.max[i], s.sum[i], s.acc, i * headDim);
            } else {
                normalize(s.acc, i * headDim, 1f / s.sum[i], out, s.queryAt[i]);
            }
        }
    }

    /** The window rows on one row's path, gathered into the scratch, for the row's {@code group} queries. */
    private void path(Scratch s, float[] q, int firstQuery, float[] keysT, float[] values, int capacity, int start,
                      int[] path, int kv) {
        int length = path.length;
        for (int i = 0; i < length; i++) {
            int slot = start + path[i];
            int src = keyIndex(capacity, headDim, kv, slot, 0);
            int dst = keyIndex(s.pathCapacity, headDim, 0, i, 0);
            for (int d = 0; d < headDim; d++) {
                s.pathKeys[dst + d * TILE] = keysT[src + d * TILE];
            }
            System.arraycopy(values, valueIndex(capacity, kv, slot), s.pathValues, i * headDim, headDim);
        }
        int[] saved = Arrays.copyOfRange(s.limit, firstQuery, firstQuery + group);
        Arrays.fill(s.limit, firstQuery, firstQuery + group, length);
        range(s, q, firstQuery, firstQuery + group, s.pathKeys, 0, s.pathValues, 0, headDim, 0, length);
        System.arraycopy(saved, 0, s.limit, firstQuery, group);
    }

    /**
     * Queries {@code qFrom..qTo-1} of the item against positions {@code from..to-1} ({@code from} a
     * tile boundary), each query up to its own limit: keys at {@code kt[ktBase ..]} in tiles, the
     * value of position {@code j} at {@code v[vBase + j * vStride ..]}.
     */
    private void range(Scratch s, float[] q, int qFrom, int qTo, float[] kt, int ktBase, float[] v, int vBase,
                       int vStride, int from, int to) {
        for (int b0 = from; b0 < to; b0 += BLOCK) {
            int b1 = Math.min(to, b0 + BLOCK);
            for (int t = b0; t < b1; t += 2 * TILE) {
                for (int i = qFrom; i < qTo; i += 4) {
                    scoreTiles(s, q, i, Math.min(4, qTo - i), kt, ktBase + t * headDim, t + TILE < b1, t - b0);
                }
            }
            int length = b1 - b0;
            for (int i = qFrom; i < qTo; i++) {
                softmaxStep(s, i, Math.min(length, s.limit[i] - b0), length);
            }
            accumulate(s, qFrom, qTo, v, vBase + b0 * vStride, vStride, b0, length);
        }
    }

    /**
     * Scores of {@code count} (1 to 4) queries from {@code first} against the key tile at
     * {@code tile} and, if {@code two}, the one after it, into the block's scores at {@code at}. Two
     * tiles make eight chains of multiply-adds, enough to hide their latency; a block's last odd
     * tile is scored twice over and its copy dropped, rather than read past the range.
     */
    private void scoreTiles(Scratch s, float[] q, int first, int count, float[] kt, int tile, boolean two, int at) {
        int o0 = s.queryAt[first];
        int o1 = s.queryAt[first + Math.min(1, count - 1)];
        int o2 = s.queryAt[first + Math.min(2, count - 1)];
        int o3 = s.queryAt[first + Math.min(3, count - 1)];
        int next = two ? tile + TILE * headDim : tile;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        FloatVector b2 = FloatVector.zero(F);
        FloatVector b3 = FloatVector.zero(F);
        for (int d = 0; d < headDim; d++) {
            FloatVector k = FloatVector.fromArray(F, kt, tile + d * TILE);
            FloatVector l = FloatVector.fromArray(F, kt, next + d * TILE);
            FloatVector q0 = FloatVector.broadcast(F, q[o0 + d]);
            FloatVector q1 = FloatVector.broadcast(F, q[o1 + d]);
            FloatVector q2 = FloatVector.broadcast(F, q[o2 + d]);
            FloatVector q3 = FloatVector.broadcast(F, q[o3 + d]);
            a0 = k.fma(q0, a0);
            b0 = l.fma(q0, b0);
            a1 = k.fma(q1, a1);
            b1 = l.fma(q1, b1);
            a2 = k.fma(q2, a2);
            b2 = l.fma(q2, b2);
            a3 = k.fma(q3, a3);
            b3 = l.fma(q3, b3);
        }
        float[] scores = s.scores;
        int p = first * BLOCK + at;
        a0.mul(scale).intoArray(scores, p);
        if (count > 1) {
            a1.mul(scale).intoArray(scores, p + BLOCK);
        }
        if (count > 2) {
            a2.mul(scale).intoArray(scores, p + 2 * BLOCK);
        }
        if (count > 3) {
            a3.mul(scale).intoArray(scores, p + 3 * BLOCK);
        }
        if (two) {
            b0.mul(scale).intoArray(scores, p + TILE);
            if (count > 1) {
                b1.mul(scale).intoArray(scores, p + BLOCK + TILE);
            }
            if (count > 2) {
                b2.mul(scale).intoArray(scores, p + 2 * BLOCK + TILE);
            }
            if (count > 3) {
                b3.mul(scale).intoArray(scores, p + 3 * BLOCK + TILE);
            }
        }
    }

    /**
     * Query {@code i}'s scores for the block's first {@code seen} positions become weights
     * {@code e^(score - max)} under the running maximum, the rest of the block's {@code length}
     * zero; the running sum and the values summed so far are rescaled when the maximum grows.
     */
    private void softmaxStep(Scratch s, int i, int seen, int length) {
        float[] p = s.scores;
        int base = i * BLOCK;
        if (seen <= 0) {
            Arrays.fill(p, base, base + length, 0f);
            return;
        }
        int vectors = seen / LANES * LANES;
        FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < vectors; j += LANES) {
            mv = mv.max(FloatVector.fromArray(F, p, base + j));
        }
        float blockMax = mv.reduceLanes(VectorOperators.MAX);
        for (int j = vectors; j < seen; j++) {
            blockMax = Math.max(blockMax, p[base + j]);
        }
        float old = s.max[i];
        if (blockMax > old) {
            float shrink = (float) Math.exp(old - blockMax);
            s.sum[i] *= shrink;
            scale(s.acc, i * headDim, shrink);
            s.max[i] = blockMax;
        }
        FloatVector m = FloatVector.broadcast(F, s.max[i]);
        FloatVector sv = FloatVector.zero(F);
        for (int j = 0; j < vectors; j += LANES) {
            FloatVector e = FloatVector.fromArray(F, p, base + j).sub(m).lanewise(VectorOperators.EXP);
            e.intoArray(p, base + j);
            sv = sv.add(e);
        }
        float sum = sv.reduceLanes(VectorOperators.ADD);
        for (int j = vectors; j < seen; j++) {
            float e = (float) Math.exp(p[base + j] - s.max[i]);
            p[base + j] = e;
            sum += e;
        }
        Arrays.fill(p, base + seen, base + length, 0f);
        s.sum[i] += sum;
    }

    /**
     * Adds the block's weighted values to the sums of queries {@code qFrom..qTo-1}. Positions go
     * {@link #SUB} at a time, and within them one query at a time over whole value rows: a row is
     * read from memory once, in order, and stays in L1 for the other queries, and each query's sum
     * is eight independent accumulators rather than a few long chains of multiply-adds.
     */
    private void accumulate(Scratch s, int qFrom, int qTo, float[] v, int vAt, int vStride, int b0, int length) {
        float[] p = s.scores;
        float[] acc = s.acc;
        for (int j0 = 0; j0 < length; j0 += SUB) {
            int j1 = Math.min(length, j0 + SUB);
            for (int i = qFrom; i < qTo; i++) {
                int end = Math.min(j1, s.limit[i] - b0); // the weights past a query's limit are zero
                if (end <= j0) {
                    continue;
                }
                int pAt = i * BLOCK;
                int o = i * headDim;
                int c = 0;
                for (; c + 8 * LANES <= headDim; c += 8 * LANES) {
                    accumulate8(p, pAt, j0, end, v, vAt + c, vStride, acc, o + c);
                }
                for (; c + LANES <= headDim; c += LANES) {
                    FloatVector a = FloatVector.fromArray(F, acc, o + c);
                    for (int j = j0, at = vAt + c + j0 * vStride; j < end; j++, at += vStride) {
                        a = FloatVector.fromArray(F, v, at).fma(FloatVector.broadcast(F, p[pAt + j]), a);
                    }
                    a.intoArray(acc, o + c);
                }
                for (; c < headDim; c++) {
                    float sum = 0f;
                    for (int j = j0, at = vAt + c + j0 * vStride; j < end; j++, at += vStride) {
                        sum += p[pAt + j] * v[at];
                    }
                    acc[o + c] += sum;
                }
            }
        }
    }

    /** {@code acc[o .. o + 8 * LANES)} += each weight {@code p[pAt + j]} times position j's values from column {@code vAt}, j in j0..j1-1. */
    private static void accumulate8(float[] p, int pAt, int j0, int j1, float[] v, int vAt, int vStride, float[] acc,
                                    int o) {
        FloatVector a0 = FloatVector.fromArray(F, acc, o);
        FloatVector a1 = FloatVector.fromArray(F, acc, o + LANES);
        FloatVector a2 = FloatVector.fromArray(F, acc, o + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(F, acc, o + 3 * LANES);
        FloatVector a4 = FloatVector.fromArray(F, acc, o + 4 * LANES);
        FloatVector a5 = FloatVector.fromArray(F, acc, o + 5 * LANES);
        FloatVector a6 = FloatVector.fromArray(F, acc, o + 6 * LANES);
        FloatVector a7 = FloatVector.fromArray(F, acc, o + 7 * LANES);
        for (int j = j0, at = vAt + j0 * vStride; j < j1; j++, at += vStride) {
            FloatVector w = FloatVector.broadcast(F, p[pAt + j]);
            a0 = FloatVector.fromArray(F, v, at).fma(w, a0);
            a1 = FloatVector.fromArray(F, v, at + LANES).fma(w, a1);
            a2 = FloatVector.fromArray(F, v, at + 2 * LANES).fma(w, a2);
            a3 = FloatVector.fromArray(F, v, at + 3 * LANES).fma(w, a3);
            a4 = FloatVector.fromArray(F, v, at + 4 * LANES).fma(w, a4);
            a5 = FloatVector.fromArray(F, v, at + 5 * LANES).fma(w, a5);
            a6 = FloatVector.fromArray(F, v, at + 6 * LANES).fma(w, a6);
            a7 = FloatVector.fromArray(F, v, at + 7 * LANES).fma(w, a7);
        }
        a0.intoArray(acc, o);
        a1.intoArray(acc, o + LANES);
        a2.intoArray(acc, o + 2 * LANES);
        a3.intoArray(acc, o + 3 * LANES);
        a4.intoArray(acc, o + 4 * LANES);
        a5.intoArray(acc, o + 5 * LANES);
        a6.intoArray(acc, o + 6 * LANES);
        a7.intoArray(acc, o + 7 * LANES);
    }

    private void scale(float[] x, int at, float factor) {
        for (int d = 0; d < headDim; d++) {
            x[at + d] *= factor;
        }
    }

    private void normalize(float[] acc, int at, float factor, float[] out, int outAt) {
        for (int d = 0; d < headDim; d++) {
            out[outAt + d] = acc[at + d] * factor;
        }
    }

    /** A worker's buffers for one item: up to {@code queries} queries' scores and softmax states. */
    private static final class Scratch {
        final int[] queryAt;    // (queries) offset of each query in q, and of its output
        final int[] limit;      // (queries) end of the range of positions each query sees
        final float[] scores;   // (queries, BLOCK) scores, then weights, of the current block
        final float[] max;      // (queries) running maximum score
        final float[] sum;      // (queries) running sum of weights under that maximum
        final float[] acc;      // (queries, headDim) running weighted sum of values
        final int pathCapacity;
        final float[] pathKeys;   // one row's path's keys, transposed as in the cache
        final float[] pathValues; // (pathCapacity, headDim)

        Scratch(int queries, int headDim, int pathCapacity) {
            queryAt = new int[queries];
            limit = new int[queries];
            scores = new float[queries * BLOCK];
            max = new float[queries];
            sum = new float[queries];
            acc = new float[queries * headDim];
            this.pathCapacity = pathCapacity;
            pathKeys = new float[keysLength(pathCapacity, 1, headDim)];
            pathValues = new float[pathCapacity * headDim];
        }
    }

    /** Softmax states of each piece of a split range, merged into the output at the end. */
    private static final class Partials {
        private final int splits;
        private final int w;
        private final int heads;
        private final int headDim;
        private final float[] max; // (splits, w, heads)
        private final float[] sum; // (splits, w, heads)
        private final float[] acc; // (splits, w, heads, headDim)

        Partials(int splits, int w, int heads, int headDim) {
            this.splits = splits;
            this.w = w;
            this.heads = heads;
            this.headDim = headDim;
            max = new float[splits * w * heads];
            sum = new float[max.length];
            acc = new float[max.length * headDim];
        }

        void put(int split, int row, int head, float m, float s, float[] values, int at) {
            int i = (split * w + row) * heads + head;
            max[i] = m;
            sum[i] = s;
            System.arraycopy(values, at, acc, i * headDim, headDim);
        }

        /** out (w, heads * headDim): each piece weighted by e^(its maximum - the overall maximum). */
        void merge(float[] out) {
            int stride = w * heads;
            for (int i = 0; i < stride; i++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int k = 0; k < splits; k++) {
                    m = Math.max(m, max[k * stride + i]);
                }
                float total = 0f;
                int o = i * headDim;
                Arrays.fill(out, o, o + headDim, 0f);
                for (int k = 0; k < splits; k++) {
                    int j = k * stride + i;
                    if (sum[j] == 0f) {
                        continue;
                    }
                    float weight = (float) Math.exp(max[j] - m);
                    total += sum[j] * weight;
                    Kernels.axpy(weight, acc, j * headDim, out, o, headDim);
                }
                float inv = 1f / total;
                for (int d = 0; d < headDim; d++) {
                    out[o + d] *= inv;
                }
            }
        }
    }
}
