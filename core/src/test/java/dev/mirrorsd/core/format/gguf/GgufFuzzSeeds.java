package dev.mirrorsd.core.format.gguf;

import java.util.List;
import java.util.SplittableRandom;

/** Small valid GGUF files for the fuzzer to corrupt. */
final class GgufFuzzSeeds {
    private static final int HIDDEN = 8;

    private GgufFuzzSeeds() {
    }

    /**
     * A one-layer Llama (hidden 8, 2 query heads over 1 kv head, ffn 16, vocab 5) with a byte-level
     * BPE tokenizer and a chat template: {@code GgufCheckpoint.load} and {@code GgufTokenizerJson.build}
     * both succeed on it.
     */
    static byte[] tinyLlama() {
        String a = "llama.";
        GgufTestWriter w = new GgufTestWriter()
                .kv("general.architecture", "llama")
                .kv(a + "embedding_length", (long) HIDDEN)
                .kv(a + "feed_forward_length", 16L)
                .kv(a + "block_count", 1L)
                .kv(a + "attention.head_count", 2L)
                .kv(a + "attention.head_count_kv", 1L)
                .kv(a + "context_length", 128L)
                .kv(a + "attention.layer_norm_rms_epsilon", 1e-5)
                .kv(a + "rope.freq_base", 10000.0)
                .kv("tokenizer.ggml.model", "gpt2")
                .kv("tokenizer.ggml.pre", "smollm")
                .kv("tokenizer.ggml.tokens", List.of("a", "b", "c", "ab", "<|endoftext|>"))
                .kv("tokenizer.ggml.token_type", List.of(new GgufTestWriter.Typed(5, 1L),
                        new GgufTestWriter.Typed(5, 1L), new GgufTestWriter.Typed(5, 1L),
                        new GgufTestWriter.Typed(5, 1L), new GgufTestWriter.Typed(5, 3L)))
                .kv("tokenizer.ggml.merges", List.of("a b"))
                .kv("tokenizer.ggml.bos_token_id", new GgufTestWriter.Typed(4, 4L))
                .kv("tokenizer.ggml.eos_token_id", new GgufTestWriter.Typed(4, 4L))
                .kv("tokenizer.ggml.add_bos_token", true)
                .kv("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}");
        SplittableRandom random = new SplittableRandom(1);
        w.f32("token_embd.weight", new long[] {5, HIDDEN}, values(random, 5 * HIDDEN))
                .f32("blk.0.attn_norm.weight", new long[] {HIDDEN}, values(random, HIDDEN))
                .f32("blk.0.attn_q.weight", new long[] {8, HIDDEN}, values(random, 8 * HIDDEN))
                .f32("blk.0.attn_k.weight", new long[] {4, HIDDEN}, values(random, 4 * HIDDEN))
                .f32("blk.0.attn_v.weight", new long[] {4, HIDDEN}, values(random, 4 * HIDDEN))
                .f32("blk.0.attn_output.weight", new long[] {HIDDEN, 8}, values(random, 8 * HIDDEN))
                .f32("blk.0.ffn_norm.weight", new long[] {HIDDEN}, values(random, HIDDEN))
                .f32("blk.0.ffn_gate.weight", new long[] {16, HIDDEN}, values(random, 16 * HIDDEN))
                .f32("blk.0.ffn_up.weight", new long[] {16, HIDDEN}, values(random, 16 * HIDDEN))
                .f32("blk.0.ffn_down.weight", new long[] {HIDDEN, 16}, values(random, 16 * HIDDEN))
                .f32("output_norm.weight", new long[] {HIDDEN}, values(random, HIDDEN));
        return w.toBytes();
    }

    /** One small tensor of every type the reader dequantizes plus one it cannot, and metadata of every value type. */
    static byte[] everyType() {
        SplittableRandom random = new SplittableRandom(2);
        GgufTestWriter w = new GgufTestWriter()
                .alignment(64)
                .kv("u8", new GgufTestWriter.Typed(0, 200L))
                .kv("i8", new GgufTestWriter.Typed(1, -3L))
                .kv("u16", new GgufTestWriter.Typed(2, 60000L))
                .kv("i16", new GgufTestWriter.Typed(3, -300L))
                .kv("u32", new GgufTestWriter.Typed(4, 4_000_000_000L))
                .kv("i32", new GgufTestWriter.Typed(5, -7L))
                .kv("f32", 0.25)
                .kv("bool", true)
                .kv("string", "text")
                .kv("u64", new GgufTestWriter.Typed(10, -1L))
                .kv("f64", new GgufTestWriter.Typed(12, 1e100))
                .kv("nested", List.of(List.of("x", "y"), List.of("z")));
        for (GgmlType type : List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
                GgmlType.Q4_1)) {
            byte[] data = new byte[(int) type.byteSize(64)];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) random.nextInt(256);
            }
            w.raw(type.name().toLowerCase(), new long[] {2, 32}, type.id(), data);
        }
        return w.raw("q2_k", new long[] {256}, GgmlType.Q2_K.id(), new byte[GgmlType.Q2_K.blockBytes()]).toBytes();
    }

    private static float[] values(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextDouble(-1, 1);
        }
        return v;
    }
}
