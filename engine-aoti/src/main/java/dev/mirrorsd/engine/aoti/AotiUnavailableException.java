package dev.mirrorsd.engine.aoti;

/**
 * The AOTI engine cannot start here: no PyTorch install with libtorch was found, the JNI shim is
 * missing and cannot be built, or the requested GPU does not exist. The message says what to set.
 */
public class AotiUnavailableException extends RuntimeException {
    public AotiUnavailableException(String message) {
        super(message);
    }

    public AotiUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
