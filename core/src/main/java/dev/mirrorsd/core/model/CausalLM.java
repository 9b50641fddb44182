package dev.mirrorsd.core.model;

/**
 * A decoder with its weights resident on one device, shared by any number of sequences. The type
 * names no engine: DJL, ONNX Runtime and later engines implement it side by side.
 *
 * <p>Thread-safety: {@link #newSequence} may be called from any thread; each {@link Sequence} is
 * used by one thread at a time.
 */
public interface CausalLM extends AutoCloseable {

    ModelConfig config();

    /** A fresh, empty KV cache for one sequence of at most {@code capacity} positions. */
    Sequence newSequence(int capacity);

    /**
     * The same weights cut after {@code layers} decoder layers, then the final norm and LM head: the
     * early-exit model that self-speculation drafts with. Shares this model's memory; closing the
     * view frees nothing.
     *
     * @throws UnsupportedOperationException if the engine runs the model as one opaque graph
     */
    default CausalLM firstLayers(int layers) {
        throw new UnsupportedOperationException(device() + " runs all layers as one graph; early exit needs"
                + " an engine that runs layer by layer (pytorch)");
    }

    /** Engine and device, for logs and reports ("pytorch:cpu", "onnxruntime:cpu"). */
    String device();

    /**
     * Native arrays the model holds now, its weights included: a count that comes back to the same
     * value between requests once each closes what it opened, which leak tests and the soak watch.
     * Walks the engine's bookkeeping: for checks, not for the decoding path. 0 for an engine that
     * keeps no such count.
     */
    default int liveArrays() {
        return 0;
    }

    /** Bytes of the arrays {@link #liveArrays} counts; read it while no request runs. */
    default long liveArrayBytes() {
        return 0;
    }

    /** Frees the weights; sequences must be closed first. */
    @Override
    void close();
}
