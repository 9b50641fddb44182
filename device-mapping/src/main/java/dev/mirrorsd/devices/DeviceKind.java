package dev.mirrorsd.devices;

/** The kind of hardware a backend computes on. */
public enum DeviceKind {
    CPU,
    GPU,
    /** A neural or other non-GPU accelerator reached through an ONNX Runtime execution provider. */
    NPU
}
