package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.UnsupportedModelException;
import dev.mirrorsd.core.weights.HostTensor;
import dev.mirrorsd.core.weights.ModelWeights;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Loads a Llama-family GGUF checkpoint into the engine-neutral {@link ModelWeights}: config from
 * the metadata, every tensor dequantized to fp32, renamed to Hugging Face's names, and q/k
 * projections put back into Hugging Face's row order where llama.cpp permuted them. The result
 * equals what transformers' GGUF loader builds.
 */
public final class GgufCheckpoint {
    private GgufCheckpoint() {
    }

    public static ModelWeights load(Path path) {
        try (GgufFile gguf = GgufFile.open(path)) {
            ModelConfig config = GgufConfigReader.read(gguf);
            boolean permuted = isRopePermuted(config.architecture());
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            List<String> unknown = new ArrayList<>();
            for (GgufTensorInfo info : gguf.tensors()) {
                Optional<String> hfName = GgufTensorNames.toHuggingFace(info.name());
                if (hfName.isEmpty()) {
                    unknown.add(info.name());
                    continue;
                }
                HostTensor t = gguf.readTensor(info);
                String where = path + ": tensor '" + info.name() + "'";
                if (permuted && GgufTensorNames.isQuery(info.name())) {
                    t = RopeRowPermutation.toHuggingFace(t, config.numHeads(), where);
                } else if (permuted && GgufTensorNames.isKey(info.name())) {
                    t = RopeRowPermutation.toHuggingFace(t, config.numKvHeads(), where);
                }
                tensors.put(hfName.get(), t);
            }
            if (!unknown.isEmpty()) {
                // Silently dropping e.g. rope_freqs.weight would change the model's output.
                throw new UnsupportedModelException(path + ": tensors this loader does not know for "
                        + config.architecture() + ": " + unknown);
            }
            return new ModelWeights(config, tensors, path.toString());
        }
    }

    /** The model's hyper-parameters, from the file's metadata. */
    public static ModelConfig config(GgufFile gguf) {
        return GgufConfigReader.read(gguf);
    }

    /**
     * The Hugging Face name of GGUF tensor {@code ggufName} ({@code blk.0.attn_q.weight} is
     * {@code model.layers.0.self_attn.q_proj.weight}), or empty for a tensor the family does not have.
     */
    public static Optional<String> huggingFaceName(String ggufName) {
        return GgufTensorNames.toHuggingFace(ggufName);
    }

    /**
     * llama.cpp's converter permutes q/k for the architectures it runs with interleaved RoPE
     * (LlamaModel and its subclasses, Mistral among them); transformers un-permutes the same ones.
     * Qwen2 uses NeoX RoPE, which is Hugging Face's own layout, so its weights are left alone.
     */
    public static boolean isRopePermuted(Architecture architecture) {
        return architecture == Architecture.LLAMA || architecture == Architecture.MISTRAL;
    }
}
