package dev.mirrorsd.mapping;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.aoti.AotiCausalLM;
import dev.mirrorsd.core.engine.djl.DjlCausalLM;
import dev.mirrorsd.core.engine.onnx.OnnxCausalLM;
import dev.mirrorsd.core.model.CausalLM;

import java.nio.file.Path;

/** Loads a model where a placement says, with the placement's thread budget. */
public final class PlacedModels {

    private PlacedModels() {
    }

    /**
     * Loads {@code model} for {@code placement}: a GGUF file or Hugging Face directory on pytorch,
     * a directory holding {@code model.onnx} and its sidecar on onnxruntime, a directory
     * of compiled graphs ({@code mirror-sd-aoti.json}) on aoti.
     */
    public static CausalLM load(Placement placement, Path model) {
        switch (placement.device().engine()) {
            case PYTORCH:
                // libtorch's thread count is process-wide: the last load sets it (PlanCheck says so)
                return DjlCausalLM.load(Checkpoint.open(model).weights(), placement.device().djlDevice(),
                        placement.intraOpThreads());
            case ONNXRUNTIME:
                return OnnxCausalLM.load(model, placement.device().onnxOptions(placement.intraOpThreads()));
            case AOTI:
                // a folder written by tools/gpu/export_aoti.py, compiled for this device kind
                return AotiCausalLM.load(model, placement.device().aotiDevice());
            default:
                throw new IllegalStateException("unhandled engine " + placement.device().engine());
        }
    }
}
