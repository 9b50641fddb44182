package dev.mirrorsd.core.model;

import java.util.Arrays;
import java.util.Locale;

/**
 * The decoder-only families the model core runs. They share one forward pass (pre-norm, RoPE,
 * grouped-query attention, SwiGLU); they differ only in flags of {@link ModelConfig}.
 */
public enum Architecture {
    /** LlamaForCausalLM; GGUF {@code general.architecture = llama}. */
    LLAMA("LlamaForCausalLM", "llama"),
    /** MistralForCausalLM: Llama with its own name (sliding window unused at these lengths). */
    MISTRAL("MistralForCausalLM", "mistral"),
    /** Qwen2ForCausalLM: Llama with q/k/v biases. */
    QWEN2("Qwen2ForCausalLM", "qwen2");

    private final String huggingFaceName;
    private final String ggufName;

    Architecture(String huggingFaceName, String ggufName) {
        this.huggingFaceName = huggingFaceName;
        this.ggufName = ggufName;
    }

    public String huggingFaceName() {
        return huggingFaceName;
    }

    public String ggufName() {
        return ggufName;
    }

    /** Looks up a Hugging Face {@code architectures[0]} entry; unknown names list the supported ones. */
    public static Architecture fromHuggingFace(String name) {
        for (Architecture a : values()) {
            if (a.huggingFaceName.equals(name)) {
                return a;
            }
        }
        throw new UnsupportedModelException("unsupported architecture '" + name + "'; supported: "
                + Arrays.stream(values()).map(Architecture::huggingFaceName).toList());
    }

    /** Looks up a GGUF {@code general.architecture} value. */
    public static Architecture fromGguf(String name) {
        for (Architecture a : values()) {
            if (a.ggufName.equals(name.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new UnsupportedModelException("unsupported GGUF architecture '" + name + "'; supported: "
                + Arrays.stream(values()).map(Architecture::ggufName).toList());
    }
}
