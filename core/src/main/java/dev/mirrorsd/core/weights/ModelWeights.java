package dev.mirrorsd.core.weights;

import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint as the engines consume it: its config and its tensors under Hugging Face's names
 * ({@code model.layers.0.self_attn.q_proj.weight}), whatever file format they came from. GGUF
 * loaders rename and un-permute into this layout so that one forward pass serves every format.
 */
public final class ModelWeights {
    private final ModelConfig config;
    private final Map<String, HostTensor> tensors;
    private final String source;

    public ModelWeights(ModelConfig config, Map<String, HostTensor> tensors, String source) {
        this.config = config;
        this.tensors = new LinkedHashMap<>(tensors);
        this.source = source;
    }

    public ModelConfig config() {
        return config;
    }

    /** Where the weights came from (a file or directory), for error messages. */
    public String source() {
        return source;
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor, checked against the shape the config implies; a clear error names what is off. */
    public HostTensor require(String name, long... expectedShape) {
        HostTensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(source + ": missing tensor '" + name + "'");
        }
        if (expectedShape.length > 0 && !Arrays.equals(t.shape(), expectedShape)) {
            throw new ModelFormatException(source + ": tensor '" + name + "' has shape "
                    + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(expectedShape));
        }
        return t;
    }

    /** Releases a tensor's host copy once an engine has taken it to device memory. */
    public void release(String name) {
        tensors.remove(name);
    }

    /** Canonical tensor names of a Llama-family decoder layer. */
    public static String layer(int layer, String suffix) {
        return "model.layers." + layer + "." + suffix;
    }

    public static final String EMBED = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    /** Name of multi-token head k's weight (predicting token t+2+k); its bias is {@code mtp.k.bias}. See models/README.md. */
    public static String multiTokenWeight(int k) {
        return "mtp." + k + ".weight";
    }
}
