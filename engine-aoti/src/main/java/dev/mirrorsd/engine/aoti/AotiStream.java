package dev.mirrorsd.engine.aoti;

/**
 * Where one model's device work is queued: its device and, on a GPU, a CUDA stream of its own.
 * The stream is non-blocking, so it neither waits for the device's default stream nor for another
 * model's stream: Mirror-SD's target and draft on one GPU run side by side instead of queueing
 * behind each other, and a host copy waits for its own model's work only. Every tensor a model
 * makes, every graph run and every CUDA graph replay goes on it.
 *
 * <p>Streams are never destroyed: blocks of PyTorch's caching allocator stay cached under the
 * stream they were allocated on, and one stream per loaded model is what a process holds.
 *
 * @param device the model's device
 * @param handle the {@code cudaStream_t}, or 0 for the device's default stream (the CPU, or a CUDA
 *               runtime without streams)
 */
record AotiStream(AotiDevice device, long handle) {

    /** A new stream on {@code device} (the default stream on the CPU). */
    static AotiStream open(AotiDevice device) {
        return new AotiStream(device, device.cuda() ? AotiNative.streamNew(device.index()) : 0);
    }

    int deviceIndex() {
        return device.index();
    }
}
