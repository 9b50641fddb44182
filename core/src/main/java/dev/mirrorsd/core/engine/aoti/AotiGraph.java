package dev.mirrorsd.core.engine.aoti;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One AOTInductor-compiled graph: its shared library (weights inside) and a model container on
 * one device. {@link #run} is thread-safe for calls with distinct tensors (the container
 * serialises them); closing while a run is in flight is not.
 */
final class AotiGraph implements AutoCloseable {

    private final String name;
    private final int inputs;
    private final int outputs;
    private long graph;

    private AotiGraph(String name, long graph) {
        this.name = name;
        this.graph = graph;
        int[] arity = AotiNative.graphArity(graph);
        this.inputs = arity[0];
        this.outputs = arity[1];
    }

    /** Loads {@code library} (kernel binaries, if any, beside it) onto {@code device}. */
    static AotiGraph load(AotiRuntime runtime, String name, Path library, AotiDevice device) {
        if (!Files.isRegularFile(library)) {
            throw new IllegalArgumentException("graph " + name + ": no library at " + library);
        }
        runtime.require(device);
        Path dir = library.toAbsolutePath().getParent();
        try {
            return new AotiGraph(name, AotiNative.loadGraph(library.toAbsolutePath().toString(), device.torchName(),
                    dir.toString()));
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
        if (args.length != inputs) {
            throw new IllegalArgumentException("graph " + name + " takes " + inputs + " inputs, got " + args.length);
        }
        long[] in = new long[args.length];
        for (int i = 0; i < in.length; i++) {
            in[i] = args[i].handle();
        }
        long[] out = new long[outputs];
        if (graph == 0) {
            throw new IllegalStateException("graph " + name + " is closed");
        }
        AotiNative.runGraph(graph, in, out);
        DeviceTensor[] result = new DeviceTensor[out.length];
        for (int i = 0; i < out.length; i++) {
            result[i] = new DeviceTensor(out[i]);
        }
        return result;
    }

    @Override
    public void close() {
        if (graph != 0) {
            long g = graph;
            graph = 0;
            AotiNative.freeGraph(g);
        }
    }

    @Override
    public String toString() {
        return "graph " + name + " (" + inputs + " inputs, " + outputs + " outputs)";
    }
}
