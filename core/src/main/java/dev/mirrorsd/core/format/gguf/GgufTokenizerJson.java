package dev.mirrorsd.core.format.gguf;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.UnsupportedModelException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Writes the Hugging Face {@code tokenizer.json} that transformers builds from a GGUF file's
 * tokenizer metadata (integrations/gguf/gguf_tokenizer_mapping.py), so that a GGUF checkpoint
 * needs no tokenizer files beside it. Only byte-level BPE ({@code tokenizer.ggml.model = gpt2})
 * is supported; SentencePiece vocabularies ({@code llama}) are not yet.
 *
 * <p>As transformers does: tokens outside the byte alphabet are respelled as their UTF-8 bytes;
 * tokens of type 3 (control) become special added tokens and type 4 (user-defined) plain added
 * tokens, so that both match whole; {@code <|endoftext|>} is special when the vocabulary has it
 * (GPT2Tokenizer's default unk/bos/eos); {@code tokenizer.ggml.pre} picks a split regex for the
 * pre-tokenizers transformers knows, else plain ByteLevel.
 */
public final class GgufTokenizerJson {
    private static final int CONTROL = 3;
    private static final int USER_DEFINED = 4;
    private static final String GPT2_DEFAULT_SPECIAL = "<|endoftext|>";

    private GgufTokenizerJson() {
    }

    /** The {@code tokenizer.json} text for {@code metadata} (as {@link GgufFile#metadata()} returns it). */
    public static String build(Map<String, Object> metadata) {
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

        Map<String, Integer> vocab = vocab(tokens);
        JsonObject json = new JsonObject();
        json.addProperty("version", "1.0");
        json.add("truncation", JsonNull.INSTANCE);
        json.add("padding", JsonNull.INSTANCE);
        json.add("added_tokens", addedTokens(tokens, types, vocab));
        json.add("normalizer", JsonNull.INSTANCE);
        json.add("pre_tokenizer", ByteLevelPreTokenizers.forGgufPre(meta.optString("tokenizer.ggml.pre")));
        json.add("post_processor", postProcessor(metadata, tokens));
        json.add("decoder", ByteLevelPreTokenizers.byteLevel(true, true));
        json.add("model", bpeModel(vocab, merges));
        Gson gson = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();
        return gson.toJson(json);
    }

    /** The chat template stored in the metadata ({@code tokenizer.chat_template}), if any. */
    public static Optional<String> chatTemplate(Map<String, Object> metadata) {
        Object t = metadata.get("tokenizer.chat_template");
        return t instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** Token to id; a token outside the byte alphabet is spelled as its bytes. A repeated spelling keeps its last id. */
    private static Map<String, Integer> vocab(List<String> tokens) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            String t = tokens.get(id);
            vocab.put(ByteLevelAlphabet.isSpelled(t) ? t : ByteLevelAlphabet.spell(t), id);
        }
        return vocab;
    }

    private static JsonArray addedTokens(List<String> tokens, int[] types, Map<String, Integer> vocab) {
        // id -> (content, special); sorted by id as tokenizers serializes them
        Map<Integer, JsonObject> added = new TreeMap<>();
        Integer defaultSpecial = vocab.get(GPT2_DEFAULT_SPECIAL);
        if (defaultSpecial != null) {
            added.put(defaultSpecial, addedToken(defaultSpecial, GPT2_DEFAULT_SPECIAL, true));
        }
        for (int id = 0; types != null && id < tokens.size(); id++) {
            String t = tokens.get(id);
            Integer vocabId = vocab.get(t);
            // A control token outside the byte alphabet is a llama.cpp mislabel; transformers skips it.
            if (types[id] == CONTROL && ByteLevelAlphabet.isSpelled(t) && vocabId != null) {
                added.putIfAbsent(vocabId, addedToken(vocabId, t, true));
            } else if (types[id] == USER_DEFINED && vocabId != null) {
                added.putIfAbsent(vocabId, addedToken(vocabId, t, false));
            }
        }
        JsonArray array = new JsonArray();
        added.values().forEach(array::add);
        return array;
    }

    private static JsonObject addedToken(int id, String content, boolean special) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("content", content);
        o.addProperty("single_word", false);
        o.addProperty("lstrip", false);
        o.addProperty("rstrip", false);
        o.addProperty("normalized", false);
        o.addProperty("special", special);
        return o;
    }

    /**
     * What encode adds with special tokens on: BOS/EOS when the file's add_bos_token/add_eos_token
     * flags ask for them. (The engines encode with special tokens off; chat templates write them.)
     */
    private static JsonObject postProcessor(Map<String, Object> metadata, List<String> tokens) {
        JsonArray single = new JsonArray();
        JsonArray pair = new JsonArray();
        JsonObject specials = new JsonObject();
        String bos = flaggedToken(metadata, "add_bos_token", "bos_token_id", tokens);
        String eos = flaggedToken(metadata, "add_eos_token", "eos_token_id", tokens);
        if (bos != null) {
            single.add(special(bos));
            pair.add(special(bos));
            specials.add(bos, specialTokenEntry(bos, metadata.get("tokenizer.ggml.bos_token_id")));
        }
        single.add(sequence("A", 0));
        pair.add(sequence("A", 0));
        if (eos != null) {
            single.add(special(eos));
            pair.add(special(eos));
            specials.add(eos, specialTokenEntry(eos, metadata.get("tokenizer.ggml.eos_token_id")));
        }
        if (bos != null) {
            pair.add(special(bos));
        }
        pair.add(sequence("B", 1));
        if (eos != null) {
            pair.add(special(eos));
        }
        JsonObject o = new JsonObject();
        o.addProperty("type", "TemplateProcessing");
        o.add("single", single);
        o.add("pair", pair);
        o.add("special_tokens", specials);
        return o;
    }

    private static String flaggedToken(Map<String, Object> metadata, String flag, String idKey, List<String> tokens) {
        Object on = metadata.get("tokenizer.ggml." + flag);
        Object id = metadata.get("tokenizer.ggml." + idKey);
        if (!Boolean.TRUE.equals(on) || !(id instanceof Long l) || l < 0 || l >= tokens.size()) {
            return null;
        }
        return tokens.get((int) (long) l);
    }

    private static JsonObject sequence(String id, int typeId) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", typeId);
        JsonObject o = new JsonObject();
        o.add("Sequence", inner);
        return o;
    }

    private static JsonObject special(String token) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", token);
        inner.addProperty("type_id", 0);
        JsonObject o = new JsonObject();
        o.add("SpecialToken", inner);
        return o;
    }

    private static JsonObject specialTokenEntry(String token, Object id) {
        JsonObject o = new JsonObject();
        o.addProperty("id", token);
        JsonArray ids = new JsonArray();
        ids.add((Long) id);
        o.add("ids", ids);
        JsonArray tokensArray = new JsonArray();
        tokensArray.add(token);
        o.add("tokens", tokensArray);
        return o;
    }

    private static JsonObject bpeModel(Map<String, Integer> vocab, List<String> merges) {
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", JsonNull.INSTANCE);
        model.add("unk_token", JsonNull.INSTANCE);
        model.addProperty("continuing_subword_prefix", "");
        model.addProperty("end_of_word_suffix", "");
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.addProperty("ignore_merges", false);
        JsonObject vocabJson = new JsonObject();
        vocab.forEach(vocabJson::addProperty);
        model.add("vocab", vocabJson);
        JsonArray mergesJson = new JsonArray();
        for (int i = 0; i < merges.size(); i++) {
            String m = merges.get(i);
            int space = m.indexOf(' ');
            if (space <= 0 || space == m.length() - 1 || m.indexOf(' ', space + 1) >= 0) {
                throw new ModelFormatException("tokenizer.ggml.merges[" + i + "] = '" + m
                        + "' is not two tokens separated by one space");
            }
            JsonArray pairJson = new JsonArray();
            pairJson.add(m.substring(0, space));
            pairJson.add(m.substring(space + 1));
            mergesJson.add(pairJson);
        }
        model.add("merges", mergesJson);
        return model;
    }
}
