package dev.mirrorsd.core.weights;

import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A checkpoint as the engines consume it: its config and its tensors under Hugging Face's names
 * ({@code model.layers.0.self_attn.q_proj.weight}), whatever file format they came from. GGUF
 * loaders rename and un-permute into this layout so that one forward pass serves every format.
 *
 * <p>Tensors may be read on demand: a GGUF file's are widened to fp32 only when an engine asks for
 * them, since an engine that runs the file's own blocks (or a draft that needs the embedding alone)
 * would otherwise hold the whole model in fp32, several times the file, just to open it.
 */
public final class ModelWeights {
    private final ModelConfig config;
    private final Map<String, Supplier<HostTensor>> readers; // every tensor, in the checkpoint's order
    private final Map<String, HostTensor> tensors = new HashMap<>(); // those read so far
    private final String source;

    public ModelWeights(ModelConfig config, Map<String, HostTensor> tensors, String source) {
        this.config = config;
        this.readers = new LinkedHashMap<>();
        this.source = source;
        tensors.forEach((name, t) -> {
            readers.put(name, () -> t);
            this.tensors.put(name, t);
        });
    }

    private ModelWeights(ModelConfig config, String source, Map<String, Supplier<HostTensor>> readers) {
        this.config = config;
        this.readers = new LinkedHashMap<>(readers);
        this.source = source;
    }

    /** Weights whose tensors are read the first time they are required, each once. */
    public static ModelWeights readOnDemand(ModelConfig config, Map<String, Supplier<HostTensor>> readers,
                                            String source) {
        return new ModelWeights(config, source, readers);
    }

    public ModelConfig config() {
        return config;
    }

    /** Where the weights came from (a file or directory), for error messages. */
    public String source() {
        return source;
    }

    public synchronized Set<String> names() {
        return readers.keySet();
    }

    public synchronized boolean contains(String name) {
        return readers.containsKey(name);
    }

    /** The tensor, checked against the shape the config implies; a clear error names what is off. */
    public synchronized HostTensor require(String name, long... expectedShape) {
        HostTensor t = tensors.get(name);
        if (t == null) {
            Supplier<HostTensor> reader = readers.get(name);
            if (reader == null) {
                throw new ModelFormatException(source + ": missing tensor '" + name + "'");
            }
            t = reader.get();
            tensors.put(name, t);
        }
        if (expectedShape.length > 0 && !Arrays.equals(t.shape(), expectedShape)) {
            throw new ModelFormatException(source + ": tensor '" + name + "' has shape "
                    + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(expectedShape));
        }
        return t;
    }

    /** Releases a tensor's host copy once an engine has taken it to device memory. */
    public synchronized void release(String name) {
        tensors.remove(name);
        readers.remove(name);
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
