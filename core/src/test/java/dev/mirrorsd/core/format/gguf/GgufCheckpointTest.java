package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.UnsupportedModelException;
import dev.mirrorsd.core.weights.ModelWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static dev.mirrorsd.core.format.gguf.GgufFileTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A one-layer synthetic model: hidden 8, 2 query heads and 1 kv head of width 4, ffn 16, vocab 5. */
class GgufCheckpointTest {
    private static final int HIDDEN = 8;
    private static final int HEADS = 2;
    private static final int KV_HEADS = 1;
    private static final int HEAD_DIM = 4;

    @TempDir
    Path dir;

    /** Row r of a Hugging Face-layout matrix holds values r * 100 + column. */
    private static float[] rowTagged(int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                v[r * cols + c] = r * 100 + c;
            }
        }
        return v;
    }

    /** llama.cpp's converter: w.reshape(n_head, 2, half, cols).swapaxes(1, 2).reshape(w.shape). */
    private static float[] llamaCppPermute(float[] hf, int heads, int cols) {
        int rows = hf.length / cols;
        int headDim = rows / heads;
        int half = headDim / 2;
        float[] out = new float[hf.length];
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < half; j++) {
                for (int k = 0; k < 2; k++) {
                    System.arraycopy(hf, (h * headDim + k * half + j) * cols, out, (h * headDim + 2 * j + k) * cols, cols);
                }
            }
        }
        return out;
    }

    private GgufTestWriter model(String arch, boolean permute, boolean bias, boolean tied) {
        int qRows = HEADS * HEAD_DIM;
        int kRows = KV_HEADS * HEAD_DIM;
        float[] q = rowTagged(qRows, HIDDEN);
        float[] k = rowTagged(kRows, HIDDEN);
        GgufTestWriter w = new GgufTestWriter()
                .kv("general.architecture", arch)
                .kv(arch + ".embedding_length", 8L)
                .kv(arch + ".feed_forward_length", 16L)
                .kv(arch + ".block_count", 1L)
                .kv(arch + ".attention.head_count", (long) HEADS)
                .kv(arch + ".attention.head_count_kv", (long) KV_HEADS)
                .kv(arch + ".context_length", 128L)
                .kv(arch + ".attention.layer_norm_rms_epsilon", 1e-5)
                .kv("tokenizer.ggml.tokens", List.of("a", "b", "c", "d", "e"))
                .kv("tokenizer.ggml.bos_token_id", new GgufTestWriter.Typed(4, 1L))
                .kv("tokenizer.ggml.eos_token_id", new GgufTestWriter.Typed(4, 2L))
                .f32("token_embd.weight", new long[] {5, HIDDEN}, rowTagged(5, HIDDEN))
                .f32("blk.0.attn_norm.weight", new long[] {HIDDEN}, new float[HIDDEN])
                .f32("blk.0.attn_q.weight", new long[] {qRows, HIDDEN}, permute ? llamaCppPermute(q, HEADS, HIDDEN) : q)
                .f32("blk.0.attn_k.weight", new long[] {kRows, HIDDEN}, permute ? llamaCppPermute(k, KV_HEADS, HIDDEN) : k)
                .f32("blk.0.attn_v.weight", new long[] {kRows, HIDDEN}, rowTagged(kRows, HIDDEN))
                .f32("blk.0.attn_output.weight", new long[] {HIDDEN, qRows}, rowTagged(HIDDEN, qRows))
                .f32("blk.0.ffn_norm.weight", new long[] {HIDDEN}, new float[HIDDEN])
                .f32("blk.0.ffn_gate.weight", new long[] {16, HIDDEN}, new float[16 * HIDDEN])
                .f32("blk.0.ffn_up.weight", new long[] {16, HIDDEN}, new float[16 * HIDDEN])
                .f32("blk.0.ffn_down.weight", new long[] {HIDDEN, 16}, rowTagged(HIDDEN, 16))
                .f32("output_norm.weight", new long[] {HIDDEN}, new float[HIDDEN]);
        if (bias) {
            float[] qb = rowTagged(qRows, 1);
            float[] kb = rowTagged(kRows, 1);
            w.f32("blk.0.attn_q.bias", new long[] {qRows}, permute ? llamaCppPermute(qb, HEADS, 1) : qb)
                    .f32("blk.0.attn_k.bias", new long[] {kRows}, permute ? llamaCppPermute(kb, KV_HEADS, 1) : kb)
                    .f32("blk.0.attn_v.bias", new long[] {kRows}, new float[kRows]);
        }
        if (!tied) {
            w.f32("output.weight", new long[] {5, HIDDEN}, rowTagged(5, HIDDEN));
        }
        return w;
    }

    @Test
    void shouldReadTheConfigFromLlamaMetadata() {
        ModelWeights weights = GgufCheckpoint.load(model("llama", true, false, true).write(dir.resolve("m.gguf")));
        ModelConfig c = weights.config();
        assertEquals(Architecture.LLAMA, c.architecture());
        assertEquals(5, c.vocabSize(), "from the token list when there is no vocab_size");
        assertEquals(8, c.hiddenSize());
        assertEquals(16, c.intermediateSize());
        assertEquals(1, c.numLayers());
        assertEquals(2, c.numHeads());
        assertEquals(1, c.numKvHeads());
        assertEquals(4, c.headDim());
        assertEquals(128, c.maxPositions());
        assertEquals(1e-5f, c.rmsNormEps());
        assertEquals(10_000f, c.ropeTheta(), "llama.cpp's default freq_base");
        assertTrue(c.tieWordEmbeddings());
        assertFalse(c.attentionBias());
        assertEquals(1, c.bosTokenId());
        assertArrayEquals(new int[] {2}, c.eosTokenIds());
    }

    @Test
    void shouldRenameTensorsToHuggingFaceNames() {
        ModelWeights w = GgufCheckpoint.load(model("llama", true, false, false).write(dir.resolve("m.gguf")));
        assertEquals(List.of(ModelWeights.EMBED, "model.layers.0.input_layernorm.weight",
                "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
                "model.layers.0.post_attention_layernorm.weight", "model.layers.0.mlp.gate_proj.weight",
                "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
                ModelWeights.FINAL_NORM, ModelWeights.LM_HEAD), List.copyOf(w.names()));
        assertFalse(w.config().tieWordEmbeddings());
        assertArrayEquals(new long[] {8, 16}, w.require("model.layers.0.mlp.down_proj.weight").shape());
        assertEquals(7 * 100 + 15, w.require("model.layers.0.mlp.down_proj.weight").data()[7 * 16 + 15]);
    }

    @Test
    void shouldUndoLlamaCppsQueryKeyPermutationForLlama() {
        ModelWeights w = GgufCheckpoint.load(model("llama", true, true, true).write(dir.resolve("m.gguf")));
        assertArrayEquals(rowTagged(8, HIDDEN), w.require("model.layers.0.self_attn.q_proj.weight", 8, 8).data());
        assertArrayEquals(rowTagged(4, HIDDEN), w.require("model.layers.0.self_attn.k_proj.weight", 4, 8).data());
        assertArrayEquals(rowTagged(8, 1), w.require("model.layers.0.self_attn.q_proj.bias", 8).data());
        assertArrayEquals(rowTagged(4, 1), w.require("model.layers.0.self_attn.k_proj.bias", 4).data());
        assertArrayEquals(rowTagged(4, HIDDEN), w.require("model.layers.0.self_attn.v_proj.weight").data(),
                "v is never permuted");
    }

    @Test
    void shouldUndoThePermutationForMistralToo() {
        ModelWeights w = GgufCheckpoint.load(model("mistral", true, false, true).write(dir.resolve("m.gguf")));
        assertEquals(Architecture.MISTRAL, w.config().architecture());
        assertArrayEquals(rowTagged(8, HIDDEN), w.require("model.layers.0.self_attn.q_proj.weight").data());
    }

    @Test
    void shouldLeaveQwen2QueryKeyRowsAloneAndDetectBiases() {
        ModelWeights w = GgufCheckpoint.load(model("qwen2", false, true, true).write(dir.resolve("m.gguf")));
        assertEquals(Architecture.QWEN2, w.config().architecture());
        assertTrue(w.config().attentionBias());
        assertArrayEquals(rowTagged(8, HIDDEN), w.require("model.layers.0.self_attn.q_proj.weight").data());
        assertArrayEquals(rowTagged(4, 1), w.require("model.layers.0.self_attn.k_proj.bias").data());
    }

    @Test
    void shouldRejectUnknownArchitectures() {
        Path p = model("gpt2", false, false, true).write(dir.resolve("m.gguf"));
        assertMessage(UnsupportedModelException.class, () -> GgufCheckpoint.load(p), "gpt2", "llama");
    }

    @Test
    void shouldRejectTensorsItDoesNotKnow() {
        Path p = model("llama", true, false, true).f32("rope_freqs.weight", new long[] {2}, new float[2])
                .write(dir.resolve("m.gguf"));
        assertMessage(UnsupportedModelException.class, () -> GgufCheckpoint.load(p), p.toString(), "rope_freqs.weight");
    }

    @Test
    void shouldNameTheMissingMetadataKey() {
        Path p = new GgufTestWriter().kv("general.architecture", "llama").write(dir.resolve("m.gguf"));
        assertMessage(dev.mirrorsd.core.model.ModelFormatException.class, () -> GgufCheckpoint.load(p),
                p.toString(), "llama.embedding_length");
    }
}
