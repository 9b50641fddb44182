package dev.mirrorsd.engine.onnx;

import java.util.Objects;

/**
 * How an ONNX model session runs. Each session owns its thread pools, so a draft model and a
 * target model on one machine do not fight over the same threads.
 *
 * @param provider       execution provider
 * @param deviceId       device index for CUDA and TensorRT; ignored by the others
 * @param intraOpThreads threads inside one operator (0 = the runtime's default, one per core)
 * @param interOpThreads threads across independent operators (0 = the runtime's default)
 */
public record OnnxOptions(OnnxProvider provider, int deviceId, int intraOpThreads, int interOpThreads) {

    public OnnxOptions {
        Objects.requireNonNull(provider, "provider");
        if (deviceId < 0) {
            throw new IllegalArgumentException("deviceId must be >= 0, got " + deviceId);
        }
        if (intraOpThreads < 0 || interOpThreads < 0) {
            throw new IllegalArgumentException("thread counts must be >= 0 (0 = runtime default), got intra-op "
                    + intraOpThreads + ", inter-op " + interOpThreads);
        }
    }

    /** CPU with {@code intraOpThreads} threads per operator and one inter-op thread. */
    public static OnnxOptions cpu(int intraOpThreads) {
        return new OnnxOptions(OnnxProvider.CPU, 0, intraOpThreads, 1);
    }

    /** {@code provider} on device 0 with the runtime's default thread counts. */
    public static OnnxOptions of(OnnxProvider provider) {
        return new OnnxOptions(provider, 0, 0, 0);
    }
}
