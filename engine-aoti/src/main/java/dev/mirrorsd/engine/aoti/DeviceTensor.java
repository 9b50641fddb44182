package dev.mirrorsd.engine.aoti;

/**
 * A libtorch tensor owned from Java (an {@code AtenTensorHandle}), on the CPU or a GPU, and the
 * stream of the model it belongs to: every copy into or out of it is queued there. Closing frees
 * the handle; the memory goes back to libtorch's caching allocator once no view holds it.
 * Not thread-safe.
 */
final class DeviceTensor implements AutoCloseable {

    private long handle;
    private final AotiStream stream;

    DeviceTensor(long handle, AotiStream stream) {
        if (handle == 0) {
            throw new IllegalStateException("null tensor handle");
        }
        this.handle = handle;
        this.stream = stream;
    }

    /** An uninitialised contiguous tensor. */
    static DeviceTensor empty(AotiStream stream, int dtype, long... sizes) {
        AotiDevice d = stream.device();
        return new DeviceTensor(AotiNative.empty(sizes, dtype, d.typeCode(), d.index(), stream.handle()), stream);
    }

    static DeviceTensor ofFloats(AotiStream stream, float[] data, long... sizes) {
        AotiDevice d = stream.device();
        return new DeviceTensor(AotiNative.fromFloats(data, sizes, d.typeCode(), d.index(), stream.handle()), stream);
    }

    static DeviceTensor ofLongs(AotiStream stream, long[] data) {
        AotiDevice d = stream.device();
        return new DeviceTensor(AotiNative.fromLongs(data, new long[] {data.length}, d.typeCode(), d.index(),
                stream.handle()), stream);
    }

    long handle() {
        if (handle == 0) {
            throw new IllegalStateException("tensor is closed");
        }
        return handle;
    }

    long[] sizes() {
        return AotiNative.sizes(handle());
    }

    /** A view of this tensor's storage (sizes, strides and offset in elements). */
    DeviceTensor view(long[] sizes, long[] strides, long offset) {
        return new DeviceTensor(AotiNative.view(handle(), sizes, strides, offset), stream);
    }

    /** Overwrites this float32 tensor's elements, row-major. */
    void write(float[] data) {
        AotiNative.writeFloats(handle(), data, stream.deviceIndex(), stream.handle());
    }

    /** Overwrites this int64 tensor's elements, row-major. */
    void write(long[] data) {
        AotiNative.writeLongs(handle(), data, stream.deviceIndex(), stream.handle());
    }

    void zero() {
        AotiNative.zero(handle(), stream.deviceIndex(), stream.handle());
    }

    /** Copies {@code src} into this tensor (shapes must match). */
    void copyFrom(DeviceTensor src) {
        AotiNative.copy(handle(), src.handle(), stream.deviceIndex(), stream.handle());
    }

    /** The whole tensor as row-major float32 on the host; waits for its model's stream. */
    float[] toFloats() {
        long n = 1;
        for (long s : sizes()) {
            n *= s;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor of " + n + " elements does not fit a Java array");
        }
        float[] out = new float[(int) n];
        AotiNative.toFloats(handle(), out, stream.deviceIndex(), stream.handle());
        return out;
    }

    @Override
    public void close() {
        if (handle != 0) {
            long h = handle;
            handle = 0;
            AotiNative.freeTensor(h);
        }
    }
}
