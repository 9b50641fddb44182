package dev.mirrorsd.core.engine;

/** The kind of hardware a backend computes on. */
public enum DeviceKind {
    CPU,
    GPU,
    /** A neural or other non-GPU accelerator (an NPU; ONNX Runtime reaches them through its execution providers). */
    NPU
}
