package dev.mirrorsd.engine.aoti;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One AOTInductor-compiled graph: its shared library (weights inside) and a model container on
 * one device. {@link #run} is thread-safe for calls with distinct tensors (the container
 * serialises them); closing while a run is in flight is not.
 */
final class AotiGraph implements AutoCloseable {

    private final String name;
    private final AotiStream stream;
    private final int inputs;
    private final int outputs;
    private long graph;
    private final java.util.Map<Long, Long> steps = new java.util.HashMap<>(); // CUDA graph steps by key
    private long replays;
    private long captures;

    private AotiGraph(String name, long graph, AotiStream stream) {
        this.name = name;
        this.graph = graph;
        this.stream = stream;
        int[] arity = AotiNative.graphArity(graph);
        this.inputs = arity[0];
        this.outputs = arity[1];
    }

    /**
     * Loads {@code library} (kernel binaries, if any, beside it) onto the stream's device, which
     * {@link AotiRuntime#require} has checked; it runs on that stream.
     */
    static AotiGraph load(String name, Path library, AotiStream stream) {
        if (!Files.isRegularFile(library)) {
            throw new IllegalArgumentException("graph " + name + ": no library at " + library);
        }
        AotiDevice device = stream.device();
        Path dir = library.toAbsolutePath().getParent();
        try {
            return new AotiGraph(name, AotiNative.loadGraph(library.toAbsolutePath().toString(), device.torchName(),
                    dir.toString(), stream.handle()), stream);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("graph " + name + " (" + library + ") on " + device + ": " + e.getMessage(), e);
        }
    }

    int inputs() {
        return inputs;
    }

    int outputs() {
        return outputs;
    }

    /** Runs the graph; the caller owns the returned tensors. */
    DeviceTensor[] run(DeviceTensor... args) {
        long[] in = handles(args);
        long[] out = new long[outputs];
        AotiNative.runGraph(graph, in, out);
        return tensors(out);
    }

    /**
     * Runs the graph through its CUDA graph step {@code key} (one window size and attended width): replayed when
     * the inputs are the tensors of the last call (same addresses and sizes, new contents), else
     * run eagerly (and captured the next time). The returned tensors alias the step's outputs,
     * which the next call of the same step overwrites. One thread at a time per graph.
     */
    DeviceTensor[] runStep(long key, DeviceTensor... args) {
        long[] in = handles(args);
        long step = steps.computeIfAbsent(key, k -> AotiNative.stepNew(graph));
        long[] out = new long[outputs];
        int mode = AotiNative.stepRun(step, in, out);
        if (mode == 2) {
            replays++;
        } else if (mode == 1) {
            captures++;
        }
        return tensors(out);
    }

    /** Runs replayed from a CUDA graph so far. */
    long replays() {
        return replays;
    }

    /** CUDA graphs captured so far (one per window size and set of input tensors). */
    long captures() {
        return captures;
    }

    private long[] handles(DeviceTensor[] args) {
        if (args.length != inputs) {
            throw new IllegalArgumentException("graph " + name + " takes " + inputs + " inputs, got " + args.length);
        }
        if (graph == 0) {
            throw new IllegalStateException("graph " + name + " is closed");
        }
        long[] in = new long[args.length];
        for (int i = 0; i < in.length; i++) {
            in[i] = args[i].handle();
        }
        return in;
    }

    private DeviceTensor[] tensors(long[] handles) {
        DeviceTensor[] result = new DeviceTensor[handles.length];
        for (int i = 0; i < handles.length; i++) {
            result[i] = new DeviceTensor(handles[i], stream);
        }
        return result;
    }

    @Override
    public void close() {
        if (graph != 0) {
            long g = graph;
            graph = 0;
            steps.values().forEach(AotiNative::stepFree);
            steps.clear();
            AotiNative.freeGraph(g);
        }
    }

    @Override
    public String toString() {
        return "graph " + name + " (" + inputs + " inputs, " + outputs + " outputs)";
    }
}
