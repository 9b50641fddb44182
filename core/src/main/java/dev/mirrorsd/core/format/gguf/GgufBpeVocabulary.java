package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.UnsupportedModelException;
import dev.mirrorsd.core.tokenizer.BpeVocabulary;
import dev.mirrorsd.core.tokenizer.ByteLevelAlphabet;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A GGUF file's byte-level BPE tokenizer ({@code tokenizer.ggml.model = gpt2}) read as transformers
 * reads it (integrations/gguf/gguf_tokenizer_mapping.py): tokens outside the byte alphabet are
 * respelled as their UTF-8 bytes; tokens of type 3 (control) become special added tokens and type 4
 * (user-defined) plain added tokens, so that both match whole; {@code <|endoftext|>} is special when
 * the vocabulary has it (GPT2Tokenizer's default unk/bos/eos). Both the {@code tokenizer.json} and
 * the Java tokenizer are built from this one reading.
 *
 * @param vocab  the tokens spelled; a repeated spelling keeps its last id
 * @param added  added tokens by id
 * @param merges lines "left right" in rank order, each checked to be two tokens and one space
 * @param pre    {@code tokenizer.ggml.pre}, or null
 */
record GgufBpeVocabulary(BpeVocabulary vocab, SortedMap<Integer, AddedToken> added, List<String> merges,
        String pre) {
    private static final int CONTROL = 3;
    private static final int USER_DEFINED = 4;
    private static final String GPT2_DEFAULT_SPECIAL = "<|endoftext|>";

    record AddedToken(int id, String content, boolean special) {
    }

    static boolean isByteLevelBpe(Map<String, Object> metadata) {
        return "gpt2".equals(metadata.get("tokenizer.ggml.model"));
    }

    static GgufBpeVocabulary read(Map<String, Object> metadata) {
        GgufMetadata meta = new GgufMetadata(metadata, "GGUF tokenizer metadata");
        String model = meta.optString("tokenizer.ggml.model");
        if (!"gpt2".equals(model)) {
            throw new UnsupportedModelException("GGUF tokenizer model '" + model
                    + "' is not supported; supported: [gpt2] (byte-level BPE)");
        }
        List<String> tokens = meta.optStrings("tokenizer.ggml.tokens");
        List<String> merges = meta.optStrings("tokenizer.ggml.merges");
        if (tokens == null || merges == null) {
            throw new ModelFormatException("GGUF byte-level BPE tokenizer needs tokenizer.ggml.tokens and "
                    + "tokenizer.ggml.merges; missing " + (tokens == null ? "tokens" : "merges"));
        }
        int[] types = meta.optInts("tokenizer.ggml.token_type");
        if (types != null && types.length != tokens.size()) {
            throw new ModelFormatException("tokenizer.ggml.token_type has " + types.length
                    + " entries for " + tokens.size() + " tokens");
        }
        BpeVocabulary vocab = vocab(tokens);
        checkMerges(merges);
        return new GgufBpeVocabulary(vocab, Collections.unmodifiableSortedMap(addedTokens(tokens, types, vocab)),
                merges, meta.optString("tokenizer.ggml.pre"));
    }

    /** A token outside the byte alphabet is spelled as its bytes. */
    private static BpeVocabulary vocab(List<String> tokens) {
        String[] spelled = new String[tokens.size()];
        for (int id = 0; id < spelled.length; id++) {
            String t = tokens.get(id);
            spelled[id] = ByteLevelAlphabet.isSpelled(t) ? t : ByteLevelAlphabet.spell(t);
        }
        return BpeVocabulary.of(Arrays.asList(spelled));
    }

    private static SortedMap<Integer, AddedToken> addedTokens(List<String> tokens, int[] types, BpeVocabulary vocab) {
        SortedMap<Integer, AddedToken> added = new TreeMap<>();
        int defaultSpecial = vocab.id(GPT2_DEFAULT_SPECIAL);
        if (defaultSpecial >= 0) {
            added.put(defaultSpecial, new AddedToken(defaultSpecial, GPT2_DEFAULT_SPECIAL, true));
        }
        for (int id = 0; types != null && id < tokens.size(); id++) {
            if (types[id] != CONTROL && types[id] != USER_DEFINED) {
                continue;
            }
            String t = tokens.get(id);
            int vocabId = vocab.id(t);
            // A control token outside the byte alphabet is a llama.cpp mislabel; transformers skips it.
            if (types[id] == CONTROL && ByteLevelAlphabet.isSpelled(t) && vocabId >= 0) {
                added.putIfAbsent(vocabId, new AddedToken(vocabId, t, true));
            } else if (types[id] == USER_DEFINED && vocabId >= 0) {
                added.putIfAbsent(vocabId, new AddedToken(vocabId, t, false));
            }
        }
        return added;
    }

    private static void checkMerges(List<String> merges) {
        for (int i = 0; i < merges.size(); i++) {
            String m = merges.get(i);
            int space = m.indexOf(' ');
            if (space <= 0 || space == m.length() - 1 || m.indexOf(' ', space + 1) >= 0) {
                throw new ModelFormatException("tokenizer.ggml.merges[" + i + "] = '" + m
                        + "' is not two tokens separated by one space");
            }
        }
    }
}
