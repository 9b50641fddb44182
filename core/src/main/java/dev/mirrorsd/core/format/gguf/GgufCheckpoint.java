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
import java.util.function.Supplier;

/**
 * Loads a Llama-family GGUF checkpoint into the engine-neutral {@link ModelWeights}: config from
 * the metadata, each tensor dequantized to fp32 when first asked for, renamed to Hugging Face's names, and q/k
 * projections put back into Hugging Face's row order where llama.cpp permuted them. The result
 * equals what transformers' GGUF loader builds.
 */
public final class GgufCheckpoint {
    private GgufCheckpoint() {
    }

    public static ModelWeights load(Path path) {
        // the file stays mapped for as long as the weights may read from it (the mapping goes with them)
        GgufFile gguf = GgufFile.open(path);
        ModelConfig config = GgufConfigReader.read(gguf);
        boolean permuted = isRopePermuted(config.architecture());
        Map<String, Supplier<HostTensor>> readers = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (GgufTensorInfo info : gguf.tensors()) {
            Optional<String> hfName = GgufTensorNames.toHuggingFace(info.name());
            if (hfName.isEmpty()) {
                unknown.add(info.name());
                continue;
            }
            String where = path + ": tensor '" + info.name() + "'";
            info.type().requireSupported(where); // a type no engine reads is refused now, not when first read
            int heads = !permuted ? 0 : GgufTensorNames.isQuery(info.name()) ? config.numHeads()
                    : GgufTensorNames.isKey(info.name()) ? config.numKvHeads() : 0;
            readers.put(hfName.get(), () -> {
                HostTensor t = gguf.readTensor(info);
                return heads == 0 ? t : RopeRowPermutation.toHuggingFace(t, heads, where);
            });
        }
        if (!unknown.isEmpty()) {
            // Silently dropping e.g. rope_freqs.weight would change the model's output.
            throw new UnsupportedModelException(path + ": tensors this loader does not know for "
                    + config.architecture() + ": " + unknown);
        }
        return ModelWeights.readOnDemand(config, readers, path.toString());
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
