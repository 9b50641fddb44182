package dev.mirrorsd.devices;

/** The inference engines mirror-sd can run a pipeline on. */
public enum EngineKind {
    /** DJL's PyTorch engine (libtorch): runs layer by layer, so early exit works. */
    PYTORCH("pytorch"),
    /** ONNX Runtime: one graph per model; each session owns its thread pools. */
    ONNXRUNTIME("onnxruntime"),
    /**
     * AOTInductor graphs compiled by tools/gpu/export_aoti.py, run through the user's PyTorch
     * (libtorch's C interface): stops at the exported early-exit split. One libtorch per process:
     * do not load it beside DJL's PyTorch engine.
     */
    AOTI("aoti");

    private final String token;

    EngineKind(String token) {
        this.token = token;
    }

    /** The name used in device plans ("pytorch", "onnxruntime"). */
    public String token() {
        return token;
    }
}
