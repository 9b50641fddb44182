package dev.mirrorsd.devices;

import dev.mirrorsd.core.engine.onnx.OnnxProvider;

import java.util.Optional;

/**
 * One way to run a model: an engine and the kind of device it drives there. ONNX Runtime's
 * backends are its execution providers; PyTorch's (DJL and AOTI) are CPU and CUDA GPUs.
 */
public enum Backend {
    TORCH_CPU(EngineKind.PYTORCH, DeviceKind.CPU, "cpu", false, null),
    TORCH_GPU(EngineKind.PYTORCH, DeviceKind.GPU, "gpu", true, null),
    /** AOTInductor graphs compiled for the CPU. */
    AOTI_CPU(EngineKind.AOTI, DeviceKind.CPU, "cpu", false, null),
    /** AOTInductor graphs compiled for CUDA, on one GPU. */
    AOTI_GPU(EngineKind.AOTI, DeviceKind.GPU, "gpu", true, null),
    ORT_CPU(EngineKind.ONNXRUNTIME, DeviceKind.CPU, "cpu", false, OnnxProvider.CPU),
    ORT_CUDA(EngineKind.ONNXRUNTIME, DeviceKind.GPU, "cuda", true, OnnxProvider.CUDA),
    ORT_TENSORRT(EngineKind.ONNXRUNTIME, DeviceKind.GPU, "tensorrt", true, OnnxProvider.TENSORRT),
    /** OpenVINO with its default device type (CPU unless the runtime was built otherwise). */
    ORT_OPENVINO(EngineKind.ONNXRUNTIME, DeviceKind.NPU, "openvino", false, OnnxProvider.OPENVINO),
    /** Qualcomm QNN on the HTP (Hexagon NPU). */
    ORT_QNN(EngineKind.ONNXRUNTIME, DeviceKind.NPU, "qnn", false, OnnxProvider.QNN),
    /** Apple Core ML (Neural Engine, GPU or CPU, as Core ML decides). */
    ORT_COREML(EngineKind.ONNXRUNTIME, DeviceKind.NPU, "coreml", false, OnnxProvider.COREML);

    private final EngineKind engine;
    private final DeviceKind kind;
    private final String token;
    private final boolean indexed;
    private final OnnxProvider provider;

    Backend(EngineKind engine, DeviceKind kind, String token, boolean indexed, OnnxProvider provider) {
        this.engine = engine;
        this.kind = kind;
        this.token = token;
        this.indexed = indexed;
        this.provider = provider;
    }

    public EngineKind engine() {
        return engine;
    }

    public DeviceKind kind() {
        return kind;
    }

    /** The device part of a plan entry without its index ("cpu", "gpu", "cuda", "qnn"). */
    public String token() {
        return token;
    }

    /** Whether several devices of this backend are told apart by an index (gpu0, gpu1). */
    public boolean indexed() {
        return indexed;
    }

    /** The ONNX Runtime execution provider, for ONNX Runtime backends. */
    public Optional<OnnxProvider> onnxProvider() {
        return Optional.ofNullable(provider);
    }

    /** The backend of an ONNX Runtime execution provider. */
    public static Backend of(OnnxProvider provider) {
        for (Backend b : values()) {
            if (b.provider == provider) {
                return b;
            }
        }
        throw new IllegalArgumentException("no backend for " + provider);
    }
}
