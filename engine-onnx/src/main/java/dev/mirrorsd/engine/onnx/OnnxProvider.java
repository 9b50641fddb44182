package dev.mirrorsd.engine.onnx;

import dev.mirrorsd.core.engine.Backend;
import dev.mirrorsd.core.engine.DeviceKind;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.util.Map;

/**
 * ONNX Runtime execution providers the engine can ask for. Whether one is usable depends on the
 * installed runtime build ({@code OrtEnvironment.getAvailableProviders()}); the Maven
 * {@code onnxruntime} artifact carries CPU only, {@code onnxruntime_gpu} adds CUDA and TensorRT.
 */
public enum OnnxProvider {
    /** The default provider; always present. */
    CPU(OrtProvider.CPU, "cpu", DeviceKind.CPU, false) {
        @Override
        void addTo(OrtSession.SessionOptions options, int deviceId) {
            // CPU is the session's fallback provider; nothing to add
        }
    },
    /** NVIDIA CUDA on GPU {@code deviceId}. */
    CUDA(OrtProvider.CUDA, "cuda", DeviceKind.GPU, true) {
        @Override
        void addTo(OrtSession.SessionOptions options, int deviceId) throws OrtException {
            options.addCUDA(deviceId);
        }
    },
    /** NVIDIA TensorRT on GPU {@code deviceId} (builds engines on first run). */
    TENSORRT(OrtProvider.TENSOR_RT, "tensorrt", DeviceKind.GPU, true) {
        @Override
        void addTo(OrtSession.SessionOptions options, int deviceId) throws OrtException {
            options.addTensorrt(deviceId);
        }
    },
    /** Intel OpenVINO with the runtime's default device type. */
    OPENVINO(OrtProvider.OPEN_VINO, "openvino", DeviceKind.NPU, false) {
        @Override
        void addTo(OrtSession.SessionOptions options, int deviceId) throws OrtException {
            options.addOpenVINO("");
        }
    },
    /** Qualcomm QNN on the HTP (NPU) backend. */
    QNN(OrtProvider.QNN, "qnn", DeviceKind.NPU, false) {
        @Override
        void addTo(OrtSession.SessionOptions options, int deviceId) throws OrtException {
            options.addQnn(Map.of("backend_type", "htp"));
        }
    },
    /** Apple Core ML. */
    COREML(OrtProvider.CORE_ML, "coreml", DeviceKind.NPU, false) {
        @Override
        void addTo(OrtSession.SessionOptions options, int deviceId) throws OrtException {
            options.addCoreML();
        }
    };

    private final OrtProvider ortProvider;
    private final Backend backend;

    OnnxProvider(OrtProvider ortProvider, String device, DeviceKind kind, boolean indexed) {
        this.ortProvider = ortProvider;
        this.backend = new Backend(OnnxEngineProvider.NAME, device, kind, indexed);
    }

    /** How plans name it: {@code onnxruntime:cuda}, {@code onnxruntime:qnn}. */
    public Backend backend() {
        return backend;
    }

    /** The runtime's own name for this provider. */
    public OrtProvider ortProvider() {
        return ortProvider;
    }

    /** Appends this provider to a session's options; the CPU provider stays as the fallback. */
    abstract void addTo(OrtSession.SessionOptions options, int deviceId) throws OrtException;
}
