package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.tokenizer.ByteLevelBpeTokenizer;
import dev.mirrorsd.core.tokenizer.HfTokenizer;
import dev.mirrorsd.core.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer of a GGUF file. Byte-level BPE ({@code tokenizer.ggml.model = gpt2}) gets the Java
 * {@link ByteLevelBpeTokenizer}, which gives the same ids and strings as the {@link HfTokenizer} of
 * {@link GgufTokenizerJson}'s {@code tokenizer.json} without its cost on a cold start (writing the
 * JSON, then loading the Rust library); anything else gets that HfTokenizer, or its error.
 */
public final class GgufTokenizers {
    private GgufTokenizers() {
    }

    /** A tokenizer for {@code metadata} (as {@link GgufFile#metadata()} returns it). */
    public static TextTokenizer open(Map<String, Object> metadata) {
        if (!GgufBpeVocabulary.isByteLevelBpe(metadata)) {
            return HfTokenizer.fromJson(GgufTokenizerJson.build(metadata));
        }
        GgufBpeVocabulary vocabulary = GgufBpeVocabulary.read(metadata);
        List<String> added = new ArrayList<>();
        vocabulary.added().values().forEach(t -> added.add(t.content()));
        return ByteLevelBpeTokenizer.create(vocabulary.vocab(), vocabulary.merges(), added,
                ByteLevelPreTokenizers.javaSplit(vocabulary.pre()));
    }
}
