package dev.mirrorsd.engine.aoti;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ChunkedSequence;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Sequence;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoder compiled by {@code tools/gpu/export_aoti.py} into AOTInductor graphs, run through
 * libtorch's C interface on one GPU (or the CPU). The graphs hold the weights; each
 * {@link Sequence} owns one KV cache tensor on the device, which the graphs update in place.
 * A target exported with {@code --exit-layer K} runs as two stages split at layer K, so
 * {@code runTo(K)} stops there and {@code logits} reads the early-exit proxy through the exit head.
 *
 * <p>CUDA graphs: on a GPU, windows of up to {@value #DEFAULT_GRAPH_WINDOW} rows (system property
 * {@value #GRAPH_WINDOW_PROPERTY}; 0 turns CUDA graphs off) are replayed from CUDA graphs instead of
 * launching each graph's hundreds of kernels: decoding one token is launch-bound otherwise. A graph
 * replays fixed addresses, so one sequence at a time (the graph owner) runs them, on a cache of the
 * export's full {@code max_context} slots kept from one sequence to the next, with inputs written
 * into tensors kept per step. A step is a window size and an attended width: the cached length
 * plus the window rounded up to {@value #ATTENDED_BUCKET} slots (the mask hides the slots past
 * the window), so that attention reads about what an eager pass reads and one graph serves 128
 * consecutive positions. Other sequences alive at the same time run eagerly, as before.
 *
 * <p>Streams: on a GPU the model queues all its work on a CUDA stream of its own ({@link AotiStream}),
 * so two models on one GPU (Mirror-SD's target and draft) overlap there.
 *
 * <p>Thread-safety: {@link #newSequence} may be called from any thread; each sequence is used by
 * one thread at a time. Sequences on different threads run their graphs concurrently.
 */
public final class AotiCausalLM implements CausalLM {

    private final AotiManifest manifest;
    private final AotiDevice device;
    private final AotiStream stream;     // this model's own CUDA stream: all its device work
    private final List<AotiGraph> stages;
    private final AotiGraph exitHead;
    private final AotiGraph mtpHead;

    public static final String GRAPH_WINDOW_PROPERTY = "mirrorsd.aoti.graphWindow";
    static final int DEFAULT_GRAPH_WINDOW = 16;
    static final int ATTENDED_BUCKET = 128;

    private final GraphOwnership graphs; // the sequence that replays CUDA graphs, on a cache of max_context slots
    private final java.util.Map<Long, StepInputs> stepInputs = new java.util.HashMap<>();

    private AotiCausalLM(AotiManifest manifest, AotiStream stream, List<AotiGraph> stages, AotiGraph exitHead,
                         AotiGraph mtpHead) {
        this.manifest = manifest;
        this.device = stream.device();
        this.stream = stream;
        this.stages = List.copyOf(stages);
        this.exitHead = exitHead;
        this.mtpHead = mtpHead;
        ModelConfig c = manifest.config();
        this.graphs = new GraphOwnership(stream, manifest.maxWindow(), manifest.dtypeCode(), c.numLayers(), 2,
                c.numKvHeads(), manifest.maxContext(), c.headDim());
    }

    /**
     * A window's inputs on the device: token ids, positions and cache slots as three aligned rows of
     * one int64 tensor (one upload), and the mask (W, attended width). A CUDA-graph step owns one at
     * fixed addresses, overwritten each pass; an eager pass uploads its own.
     */
    record StepInputs(DeviceTensor ints, DeviceTensor tokens, DeviceTensor positions, DeviceTensor writeIndex,
                      DeviceTensor mask) {

        /** Views of {@code ints}' three rows of {@code rows} elements; takes ownership of both tensors. */
        static StepInputs of(DeviceTensor ints, DeviceTensor mask, int rows) {
            long stride = intsStride(rows);
            long[] row = {rows};
            long[] unit = {1};
            return new StepInputs(ints, ints.view(row, unit, 0), ints.view(row, unit, stride),
                    ints.view(row, unit, 2 * stride), mask);
        }

        /** An eager pass's inputs: {@code ints} laid out as {@link #intsStride} says, the mask (rows, width). */
        static StepInputs upload(AotiStream stream, long[] ints, float[] mask, int rows, int width) {
            DeviceTensor i = DeviceTensor.ofLongs(stream, ints);
            try {
                return of(i, DeviceTensor.ofFloats(stream, mask, rows, width), rows);
            } catch (RuntimeException e) {
                i.close();
                throw e;
            }
        }

        void close() {
            for (DeviceTensor t : new DeviceTensor[] {tokens, positions, writeIndex, mask, ints}) {
                t.close();
            }
        }
    }

    /**
     * Loads the graphs in {@code dir} onto {@code device}.
     *
     * @throws dev.mirrorsd.core.model.ModelFormatException the manifest is missing or inconsistent
     * @throws IllegalArgumentException                     the graphs were compiled for another device kind
     * @throws AotiUnavailableException                     no libtorch, no shim, or no such GPU
     */
    public static AotiCausalLM load(Path dir, AotiDevice device) {
        AotiManifest manifest = AotiManifest.read(dir);
        if (!manifest.deviceKind().equals(device.kind())) {
            throw new IllegalArgumentException(dir + " was compiled for " + manifest.deviceKind() + ", not for " + device
                    + "; export it again with --device " + device.kind());
        }
        AotiRuntime runtime = AotiRuntime.get();
        runtime.require(device);
        AotiStream stream = AotiStream.open(device);
        List<AotiGraph> loaded = new ArrayList<>();
        try {
            for (AotiManifest.Stage s : manifest.stages()) {
                loaded.add(AotiGraph.load(s.graph(), dir.resolve(s.library()), stream));
            }
            AotiGraph exit = manifest.exitHead() == null ? null
                    : AotiGraph.load("exit_head", dir.resolve(manifest.exitHead()), stream);
            if (exit != null) {
                loaded.add(exit);
            }
            AotiGraph mtp = manifest.mtpHead() == null ? null
                    : AotiGraph.load("mtp", dir.resolve(manifest.mtpHead()), stream);
            if (mtp != null) {
                loaded.add(mtp);
            }
            return new AotiCausalLM(manifest, stream, loaded.subList(0, manifest.stages().size()), exit, mtp);
        } catch (RuntimeException e) {
            loaded.forEach(AotiGraph::close);
            throw e;
        }
    }

    @Override
    public ModelConfig config() {
        return manifest.config();
    }

    public AotiManifest manifest() {
        return manifest;
    }

    /**
     * A fresh cache of {@code capacity} slots on the device (at most the export's {@code max_context}).
     * A chain longer than the export's {@code max_window} (a long prompt) is fed in windows of that
     * many rows.
     */
    @Override
    public Sequence newSequence(int capacity) {
        if (capacity < 2 || capacity > manifest.maxContext()) {
            throw new IllegalArgumentException("capacity " + capacity + " outside [2, " + manifest.maxContext()
                    + "], the limit this model was exported with (--max-context)");
        }
        return new ChunkedSequence(new AotiSequence(this, capacity), manifest.maxWindow());
    }

    /** Windows of up to this many rows are replayed from CUDA graphs by the graph owner; 0 = never. */
    int graphWindow() {
        return graphs.window();
    }

    /** Why CUDA graphs are off for this model, or null when they are on. */
    public String cudaGraphsOff() {
        return graphs.off();
    }

    /** CUDA graph replays and captures so far, summed over this model's graphs. */
    public long[] cudaGraphCounts() {
        long replays = 0;
        long captures = 0;
        for (AotiGraph g : allGraphs()) {
            replays += g.replays();
            captures += g.captures();
        }
        return new long[] {replays, captures};
    }

    /**
     * Makes {@code sequence} the graph owner if there is none and CUDA graphs are on; returns the
     * cache it runs on (max_context slots, zero at first so unused slots hold no NaN), or null.
     */
    DeviceTensor claimGraphs(AotiSequence sequence) {
        return graphs.claim(sequence);
    }

    void releaseGraphs(AotiSequence sequence) {
        graphs.release(sequence);
    }

    /** The attended width of a graph-replayed pass over {@code attended} slots (cached + window). */
    int attendedWidth(int attended) {
        return attendedWidth(attended, manifest.maxContext());
    }

    static int attendedWidth(int attended, int maxContext) {
        return Math.min(maxContext, (attended + ATTENDED_BUCKET - 1) / ATTENDED_BUCKET * ATTENDED_BUCKET);
    }

    /** The key of a step: window rows and attended width. */
    static long stepKey(int rows, int width) {
        return (long) rows << 32 | width;
    }

    /** The graph owner's inputs for windows of {@code rows} rows attending {@code width} slots. */
    StepInputs stepInputs(int rows, int width) {
        return stepInputs.computeIfAbsent(stepKey(rows, width), k -> StepInputs.of(
                DeviceTensor.empty(stream, AotiNative.INT64, 3L * intsStride(rows)),
                DeviceTensor.empty(stream, AotiNative.FLOAT32, rows, width), rows));
    }

    /**
     * Elements between the rows of a window's int64 inputs: {@code rows} rounded up to 8, so that each
     * row starts 64-byte aligned (the graphs were compiled for aligned inputs and copy a misaligned one
     * on every run).
     */
    static int intsStride(int rows) {
        return (rows + 7) / 8 * 8;
    }

    private List<AotiGraph> allGraphs() {
        List<AotiGraph> all = new ArrayList<>(stages);
        if (exitHead != null) {
            all.add(exitHead);
        }
        if (mtpHead != null) {
            all.add(mtpHead);
        }
        return all;
    }

    @Override
    public CausalLM firstLayers(int layers) {
        throw new UnsupportedOperationException(device + " runs compiled stages; early exit is ForwardPass.runTo("
                + manifest.exitLayers() + ") then logits on the target itself");
    }

    @Override
    public String device() {
        return device.toString();
    }

    /** Where this model's device work goes: its tensors, graph runs and replays. */
    AotiStream stream() {
        return stream;
    }

    List<AotiGraph> stages() {
        return stages;
    }

    AotiGraph exitHead() {
        return exitHead;
    }

    AotiGraph mtpHead() {
        return mtpHead;
    }

    @Override
    public void close() {
        allGraphs().forEach(AotiGraph::close);
        stepInputs.values().forEach(StepInputs::close);
        stepInputs.clear();
        graphs.close();
    }

    @Override
    public String toString() {
        return "AotiCausalLM[" + device + ", " + manifest.dtype() + ", " + config()
                + (manifest.synthetic() ? ", SYNTHETIC weights" : "") + "]";
    }
}
