package dev.mirrorsd.core.model;

import java.util.Arrays;

/**
 * Hyper-parameters of a Llama-family decoder, in Hugging Face's {@code config.json} meanings.
 *
 * @param architecture          which family; decides nothing in the forward pass beyond the flags here
 * @param vocabSize             rows of the embedding and of the LM head
 * @param hiddenSize            width of the residual stream (d_model)
 * @param intermediateSize      width of the SwiGLU hidden layer
 * @param numLayers             decoder layers
 * @param numHeads              query heads
 * @param numKvHeads            key/value heads (grouped-query attention when fewer than numHeads)
 * @param headDim               width of one head
 * @param maxPositions          context length the model was trained for
 * @param rmsNormEps            epsilon inside every RMSNorm
 * @param ropeTheta             RoPE base frequency
 * @param tieWordEmbeddings     the LM head reuses the embedding matrix
 * @param attentionBias         q/k/v projections carry biases (Qwen2)
 * @param bosTokenId            begin-of-sequence id, or -1
 * @param eosTokenIds           ids that end generation (may be empty)
 */
public record ModelConfig(
        Architecture architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int maxPositions,
        float rmsNormEps,
        float ropeTheta,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int bosTokenId,
        int[] eosTokenIds) {

    public ModelConfig {
        requirePositive("vocab_size", vocabSize);
        requirePositive("hidden_size", hiddenSize);
        requirePositive("intermediate_size", intermediateSize);
        requirePositive("num_hidden_layers", numLayers);
        requirePositive("num_attention_heads", numHeads);
        requirePositive("num_key_value_heads", numKvHeads);
        requirePositive("head_dim", headDim);
        requirePositive("max_position_embeddings", maxPositions);
        if (numHeads % numKvHeads != 0) {
            throw new ModelFormatException("num_attention_heads (" + numHeads
                    + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        if (headDim % 2 != 0) {
            throw new ModelFormatException("head_dim must be even for RoPE, got " + headDim);
        }
        if (!(rmsNormEps > 0) || !(ropeTheta > 0)) {
            throw new ModelFormatException("rms_norm_eps and rope_theta must be positive, got "
                    + rmsNormEps + " and " + ropeTheta);
        }
        eosTokenIds = eosTokenIds.clone();
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new ModelFormatException(name + " must be positive, got " + value);
        }
    }

    /** Query heads served by one key/value head. */
    public int queriesPerKvHead() {
        return numHeads / numKvHeads;
    }

    public boolean isEos(int tokenId) {
        for (int id : eosTokenIds) {
            if (id == tokenId) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int[] eosTokenIds() {
        return eosTokenIds.clone();
    }

    @Override
    public String toString() {
        return architecture + "[vocab=" + vocabSize + ", hidden=" + hiddenSize + ", ffn=" + intermediateSize
                + ", layers=" + numLayers + ", heads=" + numHeads + "/" + numKvHeads + ", headDim=" + headDim
                + ", ctx=" + maxPositions + ", eos=" + Arrays.toString(eosTokenIds) + "]";
    }
}
