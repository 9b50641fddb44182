package dev.mirrorsd.core.model;

import java.util.Arrays;

/**
 * The checks every engine's KV cache makes, kept in one place so that all engines refuse the same
 * calls the same way: a closed sequence refuses everything, one pass is open at a time, a window
 * never takes the cache past its capacity, and the cache is edited only between passes, with a
 * truncation inside it and kept rows that ascend inside it. The length is kept here too: a pass
 * reports {@link #committed} when its last layer ran and {@link #passClosed} when it closes. An
 * engine supplies the storage through the protected methods, each called only once the checks pass.
 */
public abstract class GuardedSequence implements Sequence {

    private final int capacity;
    private int length;
    private ForwardPass openPass;
    private boolean closed;

    protected GuardedSequence(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a sequence holds at least one position, asked for " + capacity);
        }
        this.capacity = capacity;
    }

    @Override
    public final int length() {
        return length;
    }

    @Override
    public final int capacity() {
        return capacity;
    }

    @Override
    public final ForwardPass begin(Window window) {
        requireOpen();
        if (openPass != null) {
            throw new IllegalStateException("a forward pass is still open on this sequence; close it first");
        }
        if (length + window.size() > capacity) {
            throw new IllegalStateException("window of " + window.size() + " after " + length
                    + " cached positions exceeds the capacity " + capacity);
        }
        openPass = openPass(window);
        return openPass;
    }

    /** A pass over {@code window}, its rows to land in positions {@code length()..}. */
    protected abstract ForwardPass openPass(Window window);

    /** Called by the open pass once its last layer ran: the window's rows are now cached. */
    protected final void committed(int rows) {
        length += rows;
    }

    /** Called by a pass when it closes, whether or not it ran every layer. */
    protected final void passClosed(ForwardPass pass) {
        if (openPass == pass) {
            openPass = null;
        }
    }

    @Override
    public final void truncate(int newLength) {
        requireIdle();
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to " + newLength);
        }
        dropFrom(newLength);
        length = newLength;
    }

    /** Positions from {@code newLength} on are dropped; engines that read the length alone need do nothing. */
    protected void dropFrom(int newLength) {
    }

    @Override
    public final void compact(int base, int[] keptRows) {
        requireIdle();
        if (base < 0 || base > length) {
            throw new IllegalArgumentException("compaction base " + base + " outside [0, " + length + "]");
        }
        boolean identity = true;
        for (int i = 0; i < keptRows.length; i++) {
            if (keptRows[i] < 0 || base + keptRows[i] >= length || (i > 0 && keptRows[i] <= keptRows[i - 1])) {
                throw new IllegalArgumentException("kept rows must ascend and lie below " + (length - base) + ": "
                        + Arrays.toString(keptRows));
            }
            identity &= keptRows[i] == i;
        }
        if (!identity) {
            moveRows(base, keptRows);
        }
        dropFrom(base + keptRows.length);
        length = base + keptRows.length;
    }

    /** Moves position {@code base + keptRows[i]} to {@code base + i} in every layer; rows not already in place. */
    protected abstract void moveRows(int base, int[] keptRows);

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            ForwardPass pass = openPass;
            if (pass != null) {
                pass.close();
                openPass = null;
            }
            release();
        }
    }

    /** Frees the cache's storage; called once, after any open pass closed. */
    protected abstract void release();

    private void requireIdle() {
        requireOpen();
        if (openPass != null) {
            throw new IllegalStateException("cannot edit the cache while a forward pass is open");
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("sequence is closed");
        }
    }
}
