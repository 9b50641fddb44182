package dev.mirrorsd.core.format.gguf;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Maps llama.cpp's tensor names onto Hugging Face's for the Llama family. */
final class GgufTensorNames {
    private static final Map<String, String> GLOBAL = Map.of(
            "token_embd.weight", "model.embed_tokens.weight",
            "output_norm.weight", "model.norm.weight",
            "output.weight", "lm_head.weight");

    private static final Map<String, String> LAYER = Map.of(
            "attn_norm", "input_layernorm",
            "attn_q", "self_attn.q_proj",
            "attn_k", "self_attn.k_proj",
            "attn_v", "self_attn.v_proj",
            "attn_output", "self_attn.o_proj",
            "ffn_norm", "post_attention_layernorm",
            "ffn_gate", "mlp.gate_proj",
            "ffn_up", "mlp.up_proj",
            "ffn_down", "mlp.down_proj");

    // blk.<layer>.<module>.<weight|bias>
    private static final Pattern LAYER_NAME = Pattern.compile("blk\\.(\\d+)\\.(\\w+)\\.(weight|bias)");

    private GgufTensorNames() {
    }

    /** The Hugging Face name of a GGUF tensor, or empty when the family has no such tensor. */
    static Optional<String> toHuggingFace(String ggufName) {
        String global = GLOBAL.get(ggufName);
        if (global != null) {
            return Optional.of(global);
        }
        Matcher m = LAYER_NAME.matcher(ggufName);
        if (!m.matches() || !LAYER.containsKey(m.group(2))) {
            return Optional.empty();
        }
        return Optional.of("model.layers." + m.group(1) + "." + LAYER.get(m.group(2)) + "." + m.group(3));
    }

    /** Whether llama.cpp permuted this tensor's rows for its interleaved RoPE: the q and k projections. */
    static boolean isQuery(String ggufName) {
        return ggufName.matches("blk\\.\\d+\\.attn_q\\.(weight|bias)");
    }

    static boolean isKey(String ggufName) {
        return ggufName.matches("blk\\.\\d+\\.attn_k\\.(weight|bias)");
    }
}
