package dev.mirrorsd.core.engine.aoti;

/**
 * A libtorch tensor owned from Java (an {@code AtenTensorHandle}), on the CPU or a GPU. Closing
 * frees the handle; the memory goes back to libtorch's caching allocator once no view holds it.
 * Not thread-safe.
 */
final class DeviceTensor implements AutoCloseable {

    private long handle;

    DeviceTensor(long handle) {
        if (handle == 0) {
            throw new IllegalStateException("null tensor handle");
        }
        this.handle = handle;
    }

    /** An uninitialised contiguous tensor. */
    static DeviceTensor empty(AotiDevice device, int dtype, long... sizes) {
        return new DeviceTensor(AotiNative.empty(sizes, dtype, device.typeCode(), device.index()));
    }

    static DeviceTensor ofFloats(AotiDevice device, float[] data, long... sizes) {
        return new DeviceTensor(AotiNative.fromFloats(data, sizes, device.typeCode(), device.index()));
    }

    static DeviceTensor ofLongs(AotiDevice device, long[] data) {
        return new DeviceTensor(AotiNative.fromLongs(data, new long[] {data.length}, device.typeCode(), device.index()));
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
        return new DeviceTensor(AotiNative.view(handle(), sizes, strides, offset));
    }

    /** Overwrites this float32 tensor's elements, row-major. */
    void write(float[] data) {
        AotiNative.writeFloats(handle(), data);
    }

    /** Overwrites this int64 tensor's elements, row-major. */
    void write(long[] data) {
        AotiNative.writeLongs(handle(), data);
    }

    void zero() {
        AotiNative.zero(handle());
    }

    /** Copies {@code src} into this tensor (shapes must match). */
    void copyFrom(DeviceTensor src) {
        AotiNative.copy(handle(), src.handle());
    }

    /** The whole tensor as row-major float32 on the host; waits for the device. */
    float[] toFloats() {
        long n = 1;
        for (long s : sizes()) {
            n *= s;
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor of " + n + " elements does not fit a Java array");
        }
        float[] out = new float[(int) n];
        AotiNative.toFloats(handle(), out);
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
