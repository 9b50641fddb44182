package dev.mirrorsd.core.engine.aoti;

import dev.mirrorsd.core.model.CausalLM;
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
 * <p>Thread-safety: {@link #newSequence} may be called from any thread; each sequence is used by
 * one thread at a time. Sequences on different threads run their graphs concurrently.
 */
public final class AotiCausalLM implements CausalLM {

    private final AotiManifest manifest;
    private final AotiDevice device;
    private final List<AotiGraph> stages;
    private final AotiGraph exitHead;
    private final AotiGraph mtpHead;

    private AotiCausalLM(AotiManifest manifest, AotiDevice device, List<AotiGraph> stages, AotiGraph exitHead,
                         AotiGraph mtpHead) {
        this.manifest = manifest;
        this.device = device;
        this.stages = List.copyOf(stages);
        this.exitHead = exitHead;
        this.mtpHead = mtpHead;
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
        List<AotiGraph> loaded = new ArrayList<>();
        try {
            for (AotiManifest.Stage s : manifest.stages()) {
                loaded.add(AotiGraph.load(runtime, s.graph(), dir.resolve(s.library()), device));
            }
            AotiGraph exit = manifest.exitHead() == null ? null
                    : AotiGraph.load(runtime, "exit_head", dir.resolve(manifest.exitHead()), device);
            if (exit != null) {
                loaded.add(exit);
            }
            AotiGraph mtp = manifest.mtpHead() == null ? null
                    : AotiGraph.load(runtime, "mtp", dir.resolve(manifest.mtpHead()), device);
            if (mtp != null) {
                loaded.add(mtp);
            }
            return new AotiCausalLM(manifest, device, loaded.subList(0, manifest.stages().size()), exit, mtp);
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

    /** A fresh cache of {@code capacity} slots on the device (at most the export's {@code max_context}). */
    @Override
    public Sequence newSequence(int capacity) {
        if (capacity < 2 || capacity > manifest.maxContext()) {
            throw new IllegalArgumentException("capacity " + capacity + " outside [2, " + manifest.maxContext()
                    + "], the limit this model was exported with (--max-context)");
        }
        return new AotiSequence(this, capacity);
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

    AotiDevice aotiDevice() {
        return device;
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
        stages.forEach(AotiGraph::close);
        if (exitHead != null) {
            exitHead.close();
        }
        if (mtpHead != null) {
            mtpHead.close();
        }
    }

    @Override
    public String toString() {
        return "AotiCausalLM[" + device + ", " + manifest.dtype() + ", " + config()
                + (manifest.synthetic() ? ", SYNTHETIC weights" : "") + "]";
    }
}
