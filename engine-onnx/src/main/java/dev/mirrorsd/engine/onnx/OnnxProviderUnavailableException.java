package dev.mirrorsd.engine.onnx;

/**
 * The requested execution provider is not compiled into the installed ONNX Runtime. The message
 * lists the providers that are, so the caller can pick one or install another runtime build.
 */
public class OnnxProviderUnavailableException extends RuntimeException {
    public OnnxProviderUnavailableException(String message) {
        super(message);
    }
}
