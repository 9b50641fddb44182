package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.UnsupportedModelException;

import java.util.List;

/**
 * Builds a {@link ModelConfig} from GGUF metadata, under llama.cpp's key names
 * ({@code {arch}.embedding_length} ...), with the defaults llama.cpp uses where a key is optional.
 */
final class GgufConfigReader {
    private static final double DEFAULT_ROPE_THETA = 10_000.0;

    private GgufConfigReader() {
    }

    /** The file's config; every error, the config's own checks included, names the file. */
    static ModelConfig read(GgufFile gguf) {
        String source = gguf.path().toString();
        try {
            return parse(gguf, new GgufMetadata(gguf.metadata(), source));
        } catch (UnsupportedModelException e) {
            throw e.getMessage().startsWith(source) ? e : new UnsupportedModelException(source + ": " + e.getMessage());
        } catch (ModelFormatException e) {
            throw e.getMessage().startsWith(source) ? e : new ModelFormatException(source + ": " + e.getMessage(), e);
        }
    }

    private static ModelConfig parse(GgufFile gguf, GgufMetadata meta) {
        Architecture architecture = Architecture.fromGguf(meta.requireString("general.architecture"));
        String a = architecture.ggufName() + ".";

        int hidden = meta.requireInt(a + "embedding_length");
        int heads = meta.requireInt(a + "attention.head_count");
        int kvHeads = (int) meta.optLong(a + "attention.head_count_kv").orElse(heads);
        if (heads == 0) {
            throw new ModelFormatException(meta.source() + ": " + a + "attention.head_count must be positive");
        }
        if (hidden % heads != 0 && !meta.has(a + "attention.key_length")) {
            throw new ModelFormatException(meta.source() + ": embedding_length " + hidden
                    + " is not a multiple of head_count " + heads + " and no attention.key_length is given");
        }
        int headDim = (int) meta.optLong(a + "attention.key_length").orElse(hidden / heads);
        double eps = meta.optDouble(a + "attention.layer_norm_rms_epsilon").orElseThrow(
                () -> new ModelFormatException(meta.source() + ": missing metadata '" + a
                        + "attention.layer_norm_rms_epsilon'"));

        return new ModelConfig(
                architecture,
                vocabSize(meta, a),
                hidden,
                meta.requireInt(a + "feed_forward_length"),
                meta.requireInt(a + "block_count"),
                heads,
                kvHeads,
                headDim,
                meta.requireInt(a + "context_length"),
                (float) eps,
                (float) meta.optDouble(a + "rope.freq_base").orElse(DEFAULT_ROPE_THETA),
                !gguf.hasTensor("output.weight"),        // llama.cpp omits the head when it is tied
                gguf.hasTensor("blk.0.attn_q.bias"),
                (int) meta.optLong("tokenizer.ggml.bos_token_id").orElse(-1),
                eosIds(meta));
    }

    private static int vocabSize(GgufMetadata meta, String a) {
        if (meta.has(a + "vocab_size")) {
            return meta.requireInt(a + "vocab_size");
        }
        List<String> tokens = meta.optStrings("tokenizer.ggml.tokens");
        if (tokens == null) {
            throw new ModelFormatException(meta.source() + ": neither '" + a
                    + "vocab_size' nor 'tokenizer.ggml.tokens' gives the vocabulary size");
        }
        return tokens.size();
    }

    /** Only what the file states: llama.cpp keeps one EOS id in the metadata. */
    private static int[] eosIds(GgufMetadata meta) {
        return meta.has("tokenizer.ggml.eos_token_id")
                ? new int[] {(int) meta.optLong("tokenizer.ggml.eos_token_id").getAsLong()}
                : new int[0];
    }
}
