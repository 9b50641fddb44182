package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.model.UnsupportedModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad GGUF models at the level a user opens them, through {@link Checkpoint#open}. */
class GgufCheckpointBadInputTest {
    @TempDir
    Path dir;

    @Test
    void shouldNameFileTensorAndTypeOfATensorItCannotDequantize() {
        Path file = new GgufTestWriter()
                .kv("general.architecture", "llama")
                .kv("llama.embedding_length", 256L)
                .kv("llama.feed_forward_length", 512L)
                .kv("llama.block_count", 1L)
                .kv("llama.attention.head_count", 4L)
                .kv("llama.context_length", 64L)
                .kv("llama.attention.layer_norm_rms_epsilon", 1e-5)
                .kv("tokenizer.ggml.model", "gpt2")
                .kv("tokenizer.ggml.tokens", List.of("a", "b"))
                .kv("tokenizer.ggml.merges", List.of("a b"))
                .raw("token_embd.weight", new long[] {2, 256}, GgmlType.Q2_K.id(), new byte[2 * GgmlType.Q2_K.blockBytes()])
                .write(dir.resolve("k-quant.gguf"));
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> Checkpoint.open(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("'token_embd.weight'")
                && e.getMessage().contains("Q2_K") && e.getMessage().contains("supported: [F32, F16, BF16"),
                e.getMessage());
    }
}
