package dev.mirrorsd.core.format;

import dev.mirrorsd.core.model.ModelFormatException;

/**
 * The bad-input contract of every model-file reader: it returns, or it throws
 * {@link ModelFormatException} (or its subclass {@code UnsupportedModelException}) with a message
 * that names the file. Anything else (a NullPointerException, a buffer exception, an
 * OutOfMemoryError) breaks the contract and fails the test with the original throwable as cause.
 */
public final class FailsCleanly {
    /** What a reader did with one input, for the fuzzers' statistics. */
    public enum Outcome { ACCEPTED, REJECTED }

    private FailsCleanly() {
    }

    /** Runs {@code reader}; {@code fileName}, when not null, must appear in a rejection's message. */
    public static Outcome check(String fileName, Runnable reader) {
        try {
            reader.run();
            return Outcome.ACCEPTED;
        } catch (ModelFormatException e) {
            String message = e.getMessage();
            if (message == null || message.isBlank()) {
                throw new AssertionError("rejection without a message", e);
            }
            if (fileName != null && !message.contains(fileName)) {
                throw new AssertionError("rejection does not name " + fileName + ": " + message, e);
            }
            return Outcome.REJECTED;
        } catch (Throwable t) {
            throw new AssertionError("reader crashed with " + t.getClass().getName() + " instead of a"
                    + " ModelFormatException: " + t.getMessage(), t);
        }
    }
}
