package dev.mirrorsd.engine.aoti;

/**
 * The JNI shim {@code mirrorsd_aoti.c} (a resource beside this class): libtorch's stable C
 * interface ({@code aoti_torch_*}) and the {@code AOTInductorModelContainer*} entry points of
 * compiled graphs, resolved at run time. Tensor and graph handles are native pointers; every
 * handle returned is owned by the caller and freed with {@link #freeTensor} / {@link #freeGraph}.
 * Calls that queue device work take the model's stream ({@link #streamNew}; 0 = the device's
 * default stream) and its device index, and run with that stream current.
 * Failures throw {@link IllegalStateException}. Use through {@link AotiRuntime}, which loads the
 * shim and libtorch first.
 */
final class AotiNative {

    /** Dtype codes of {@link #empty}, {@link #fromFloats} and friends. */
    static final int FLOAT32 = 0;
    static final int INT64 = 1;
    static final int BFLOAT16 = 2;
    static final int FLOAT16 = 3;

    /** Device type codes. */
    static final int CPU = 0;
    static final int CUDA = 1;

    private AotiNative() {
    }

    /** dlopens each library with RTLD_GLOBAL, in order, then resolves the aoti_torch_* functions. */
    static native void openLibraries(String[] paths);

    /** CUDA devices the driver reports; 0 when there is no driver. */
    static native int cudaDeviceCount();

    /** A new non-blocking CUDA stream on the GPU for one model's work; 0 when the CUDA runtime offers none. */
    static native long streamNew(int deviceIndex);

    /** An uninitialised contiguous tensor. */
    static native long empty(long[] sizes, int dtype, int deviceType, int deviceIndex, long stream);

    /** A float32 tensor on the device holding {@code data}, row-major {@code sizes}. */
    static native long fromFloats(float[] data, long[] sizes, int deviceType, int deviceIndex, long stream);

    /** An int64 tensor on the device holding {@code data}. */
    static native long fromLongs(long[] data, long[] sizes, int deviceType, int deviceIndex, long stream);

    /** Copies any tensor (dtype, device, strides) into {@code out}, row-major float32; waits for the stream. */
    static native void toFloats(long tensor, float[] out, int deviceIndex, long stream);

    static native long[] sizes(long tensor);

    /** A view of the tensor's storage; sizes, strides and offset in elements. */
    static native long view(long tensor, long[] sizes, long[] strides, long offset);

    /** {@code dst.copy_(src)}. */
    static native void copy(long dst, long src, int deviceIndex, long stream);

    static native void freeTensor(long tensor);

    /**
     * Loads a compiled graph's library and creates its model container on {@code device} ("cpu",
     * "cuda:1"); its runs and CUDA graph replays go on {@code stream}.
     */
    static native long loadGraph(String library, String device, String cubinDir, long stream);

    /** {inputs, outputs} of a graph. */
    static native int[] graphArity(long graph);

    /** Runs a graph: inputs are borrowed, {@code outputs} receives new handles. */
    static native void runGraph(long graph, long[] inputs, long[] outputs);

    static native void freeGraph(long graph);

    /** Why CUDA graphs cannot be captured in this process (no CUDA runtime, a CPU-only PyTorch), or null. */
    static native String cudaGraphsUnavailable();

    /** A CUDA graph step of a graph on a GPU: see {@code stepRun}. */
    static native long stepNew(long graph);

    /**
     * Runs a step: eagerly the first time, captured into a CUDA graph the second time its inputs
     * are at the same addresses and sizes, replayed from then on. Inputs are borrowed;
     * {@code outputs} receives new handles. Returns 0 (eager), 1 (captured) or 2 (replayed).
     */
    static native int stepRun(long step, long[] inputs, long[] outputs);

    static native void stepFree(long step);

    /** Writes {@code data} into an existing tensor of as many elements (float32). */
    static native void writeFloats(long tensor, float[] data, int deviceIndex, long stream);

    /** Writes {@code data} into an existing tensor of as many elements (int64). */
    static native void writeLongs(long tensor, long[] data, int deviceIndex, long stream);

    /** Fills a tensor with zeros. */
    static native void zero(long tensor, int deviceIndex, long stream);
}
