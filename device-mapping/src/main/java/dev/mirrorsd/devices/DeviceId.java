package dev.mirrorsd.devices;

import ai.djl.Device;
import dev.mirrorsd.core.engine.aoti.AotiDevice;
import dev.mirrorsd.core.engine.onnx.OnnxOptions;

import java.util.Objects;

/**
 * Where a model runs: a backend (engine and device kind) and, for GPUs, the device index.
 * Written in plans as {@code engine:device[index]}: {@code pytorch:cpu}, {@code pytorch:gpu0},
 * {@code onnxruntime:cpu}, {@code onnxruntime:cuda1}, {@code onnxruntime:qnn}, {@code aoti:gpu1}.
 *
 * @param backend engine and device kind
 * @param index   device index; 0 for backends that are not indexed
 */
public record DeviceId(Backend backend, int index) {

    public DeviceId {
        Objects.requireNonNull(backend, "backend");
        if (index < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + index);
        }
        if (!backend.indexed() && index != 0) {
            throw new IllegalArgumentException(backend.engine().token() + ":" + backend.token()
                    + " takes no device index, got " + index);
        }
    }

    public static DeviceId of(Backend backend) {
        return new DeviceId(backend, 0);
    }

    public static DeviceId torchCpu() {
        return of(Backend.TORCH_CPU);
    }

    public static DeviceId torchGpu(int index) {
        return new DeviceId(Backend.TORCH_GPU, index);
    }

    public static DeviceId ortCpu() {
        return of(Backend.ORT_CPU);
    }

    public static DeviceId aotiGpu(int index) {
        return new DeviceId(Backend.AOTI_GPU, index);
    }

    public EngineKind engine() {
        return backend.engine();
    }

    public DeviceKind kind() {
        return backend.kind();
    }

    /** The DJL device of a PyTorch backend. */
    public Device djlDevice() {
        if (backend.engine() != EngineKind.PYTORCH) {
            throw new IllegalStateException(this + " is not a pytorch device");
        }
        return backend == Backend.TORCH_GPU ? Device.gpu(index) : Device.cpu();
    }

    /** The AOTI engine's device of an {@code aoti} backend. */
    public AotiDevice aotiDevice() {
        if (backend.engine() != EngineKind.AOTI) {
            throw new IllegalStateException(this + " is not an aoti device");
        }
        return backend == Backend.AOTI_GPU ? AotiDevice.gpu(index) : AotiDevice.cpu();
    }

    /** Session options of an ONNX Runtime backend with {@code intraOpThreads} per operator, one inter-op thread. */
    public OnnxOptions onnxOptions(int intraOpThreads) {
        return new OnnxOptions(backend.onnxProvider().orElseThrow(
                () -> new IllegalStateException(this + " is not an onnxruntime device")), index, intraOpThreads, 1);
    }

    /** The plan spelling, e.g. {@code pytorch:gpu0}. */
    @Override
    public String toString() {
        return backend.engine().token() + ":" + backend.token() + (backend.indexed() ? Integer.toString(index) : "");
    }
}
