package dev.mirrorsd.core.model;

/**
 * A model file is missing, truncated or inconsistent. The message names the file and what is wrong
 * with it, so that a user can act on it without a stack trace.
 */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
