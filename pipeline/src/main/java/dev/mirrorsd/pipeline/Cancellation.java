package dev.mirrorsd.pipeline;

/**
 * A flag a caller raises from any thread to stop a generation; the tokens committed until then are
 * kept and returned. The request looks at it while it waits for admission, before the prefill, at
 * each round boundary, after drafting and after the verification forward, and stops at the first
 * look that finds it raised. Every cache the request allocated is freed before it returns.
 */
public final class Cancellation {
    private volatile boolean cancelled;
    private int checksLeft; // test hook: raised by the check that brings it to 0; <= 0 = never

    public Cancellation() {
    }

    /**
     * Test hook: a flag that raises itself at its {@code n}-th check, so tests can stop a request at
     * every point the decoding loops look. Counts the checks of one thread (the request's).
     */
    static Cancellation atCheck(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("check number must be >= 1, got " + n);
        }
        Cancellation c = new Cancellation();
        c.checksLeft = n;
        return c;
    }

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        if (checksLeft > 0 && --checksLeft == 0) {
            cancelled = true;
        }
        return cancelled;
    }
}
