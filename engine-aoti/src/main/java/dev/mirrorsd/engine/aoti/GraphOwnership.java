package dev.mirrorsd.engine.aoti;

/**
 * Which one of a model's caches (a target's sequence, a draft's state) replays the model's CUDA
 * graphs now, and the KV cache it replays them on. A CUDA graph replays fixed addresses, so one
 * owner at a time runs them, on one cache tensor kept from one owner to the next; everyone else
 * runs eagerly. Thread-safe.
 */
final class GraphOwnership {

    private final AotiStream stream;
    private final int dtype;
    private final long[] cacheShape;
    private final int window;        // largest window replayed from CUDA graphs; 0 = none
    private final String off;        // why CUDA graphs are off, or null
    private Object owner;
    private DeviceTensor cache;

    /**
     * CUDA graphs for windows of up to {@code maxWindow} rows, or the {@link AotiCausalLM#GRAPH_WINDOW_PROPERTY}
     * if smaller, on a GPU whose runtime can capture them; the owner's cache is {@code cacheShape} in
     * {@code dtype}.
     */
    GraphOwnership(AotiStream stream, int maxWindow, int dtype, long... cacheShape) {
        this.stream = stream;
        this.dtype = dtype;
        this.cacheShape = cacheShape.clone();
        int wanted = Math.min(Integer.getInteger(AotiCausalLM.GRAPH_WINDOW_PROPERTY, AotiCausalLM.DEFAULT_GRAPH_WINDOW),
                maxWindow);
        this.off = !stream.device().cuda() ? "the model runs on the CPU"
                : wanted <= 0 ? AotiCausalLM.GRAPH_WINDOW_PROPERTY + "=0" : AotiNative.cudaGraphsUnavailable();
        this.window = off == null ? wanted : 0;
    }

    /** Windows of up to this many rows are replayed from CUDA graphs by the owner; 0 = never. */
    int window() {
        return window;
    }

    /** Why CUDA graphs are off, or null when they are on. */
    String off() {
        return off;
    }

    /**
     * Makes {@code who} the owner if there is none and CUDA graphs are on; returns the cache it runs
     * on (zero at first, so unused slots hold no NaN that a masked score would still carry), or null.
     */
    synchronized DeviceTensor claim(Object who) {
        if (window == 0 || owner != null) {
            return null;
        }
        if (cache == null) {
            DeviceTensor fresh = DeviceTensor.empty(stream, dtype, cacheShape);
            try {
                fresh.zero();
            } catch (RuntimeException e) {
                fresh.close();
                throw e;
            }
            cache = fresh;
        }
        owner = who;
        return cache;
    }

    /** Gives the graphs up, if {@code who} holds them; the cache stays for the next owner. */
    synchronized void release(Object who) {
        if (owner == who) {
            owner = null;
        }
    }

    synchronized void close() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }
}
