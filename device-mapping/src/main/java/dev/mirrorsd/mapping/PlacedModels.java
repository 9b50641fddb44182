package dev.mirrorsd.mapping;

import dev.mirrorsd.core.Checkpoint;
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
     * a directory holding {@code model.onnx} and its sidecar on onnxruntime.
     */
    public static CausalLM load(Placement placement, Path model) {
        switch (placement.device().engine()) {
            case PYTORCH:
                // libtorch's thread count is process-wide: the last load sets it (PlanCheck says so)
                return DjlCausalLM.load(Checkpoint.open(model).weights(), placement.device().djlDevice(),
                        placement.intraOpThreads());
            case ONNXRUNTIME:
                return OnnxCausalLM.load(model, placement.device().onnxOptions(placement.intraOpThreads()));
            default:
                throw new IllegalStateException("unhandled engine " + placement.device().engine());
        }
    }
}
