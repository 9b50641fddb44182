package dev.mirrorsd.core.format.hf;

import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.weights.ModelWeights;

import java.util.LinkedHashMap;
import java.util.Map;

/** The tensors a Llama-family checkpoint must hold, under Hugging Face names, with the shapes its config implies. */
final class HfTensorLayout {

    private HfTensorLayout() {
    }

    /** Required tensor name to expected shape, in checkpoint order. */
    static Map<String, long[]> required(ModelConfig c) {
        long vocab = c.vocabSize();
        long hidden = c.hiddenSize();
        long qWidth = (long) c.numHeads() * c.headDim();
        long kvWidth = (long) c.numKvHeads() * c.headDim();
        long inter = c.intermediateSize();
        Map<String, long[]> out = new LinkedHashMap<>();
        out.put(ModelWeights.EMBED, new long[] {vocab, hidden});                            // (vocab, hidden)
        for (int l = 0; l < c.numLayers(); l++) {
            out.put(ModelWeights.layer(l, "input_layernorm.weight"), new long[] {hidden});
            out.put(ModelWeights.layer(l, "self_attn.q_proj.weight"), new long[] {qWidth, hidden});  // (heads * headDim, hidden)
            out.put(ModelWeights.layer(l, "self_attn.k_proj.weight"), new long[] {kvWidth, hidden}); // (kvHeads * headDim, hidden)
            out.put(ModelWeights.layer(l, "self_attn.v_proj.weight"), new long[] {kvWidth, hidden});
            if (c.attentionBias()) {
                out.put(ModelWeights.layer(l, "self_attn.q_proj.bias"), new long[] {qWidth});
                out.put(ModelWeights.layer(l, "self_attn.k_proj.bias"), new long[] {kvWidth});
                out.put(ModelWeights.layer(l, "self_attn.v_proj.bias"), new long[] {kvWidth});
            }
            out.put(ModelWeights.layer(l, "self_attn.o_proj.weight"), new long[] {hidden, qWidth});  // (hidden, heads * headDim)
            out.put(ModelWeights.layer(l, "post_attention_layernorm.weight"), new long[] {hidden});
            out.put(ModelWeights.layer(l, "mlp.gate_proj.weight"), new long[] {inter, hidden});      // (inter, hidden)
            out.put(ModelWeights.layer(l, "mlp.up_proj.weight"), new long[] {inter, hidden});
            out.put(ModelWeights.layer(l, "mlp.down_proj.weight"), new long[] {hidden, inter});      // (hidden, inter)
        }
        out.put(ModelWeights.FINAL_NORM, new long[] {hidden});
        if (!c.tieWordEmbeddings()) {
            out.put(ModelWeights.LM_HEAD, new long[] {vocab, hidden});                      // (vocab, hidden)
        }
        return out;
    }

    /**
     * Tensors loaded when present: the o_proj bias (Llama with {@code attention_bias=true} has one;
     * engines add it when {@link ModelWeights#contains} says so).
     */
    static Map<String, long[]> optional(ModelConfig c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (int l = 0; l < c.numLayers(); l++) {
            out.put(oProjBias(l), new long[] {c.hiddenSize()});
        }
        return out;
    }

    static String oProjBias(int layer) {
        return ModelWeights.layer(layer, "self_attn.o_proj.bias");
    }
}
