package dev.mirrorsd.devices;

/** The inference engines mirror-sd can run a pipeline on. */
public enum EngineKind {
    /** DJL's PyTorch engine (libtorch): runs layer by layer, so early exit works. */
    PYTORCH("pytorch"),
    /** ONNX Runtime: one graph per model; each session owns its thread pools. */
    ONNXRUNTIME("onnxruntime");

    private final String token;

    EngineKind(String token) {
        this.token = token;
    }

    /** The name used in device plans ("pytorch", "onnxruntime"). */
    public String token() {
        return token;
    }
}
