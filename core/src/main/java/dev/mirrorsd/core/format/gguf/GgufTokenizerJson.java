package dev.mirrorsd.core.format.gguf;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.tokenizer.BpeVocabulary;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes the Hugging Face {@code tokenizer.json} that transformers builds from a GGUF file's
 * tokenizer metadata (integrations/gguf/gguf_tokenizer_mapping.py), so that a GGUF checkpoint
 * needs no tokenizer files beside it. Only byte-level BPE ({@code tokenizer.ggml.model = gpt2})
 * is supported; SentencePiece vocabularies ({@code llama}) are not yet.
 *
 * <p>The vocabulary and added tokens are {@link GgufBpeVocabulary}'s reading; {@code tokenizer.ggml.pre}
 * picks a split regex for the pre-tokenizers transformers knows, else plain ByteLevel.
 */
public final class GgufTokenizerJson {
    private GgufTokenizerJson() {
    }

    /** The {@code tokenizer.json} text for {@code metadata} (as {@link GgufFile#metadata()} returns it). */
    public static String build(Map<String, Object> metadata) {
        GgufBpeVocabulary vocabulary = GgufBpeVocabulary.read(metadata);
        List<String> tokens = new GgufMetadata(metadata, "GGUF tokenizer metadata").optStrings("tokenizer.ggml.tokens");
        JsonObject json = new JsonObject();
        json.addProperty("version", "1.0");
        json.add("truncation", JsonNull.INSTANCE);
        json.add("padding", JsonNull.INSTANCE);
        json.add("added_tokens", addedTokens(vocabulary));
        json.add("normalizer", JsonNull.INSTANCE);
        json.add("pre_tokenizer", ByteLevelPreTokenizers.forGgufPre(vocabulary.pre()));
        json.add("post_processor", postProcessor(metadata, tokens));
        json.add("decoder", ByteLevelPreTokenizers.byteLevel(true, true));
        json.add("model", bpeModel(vocabulary));
        Gson gson = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();
        return gson.toJson(json);
    }

    /** The chat template stored in the metadata ({@code tokenizer.chat_template}), if any. */
    public static Optional<String> chatTemplate(Map<String, Object> metadata) {
        Object t = metadata.get("tokenizer.chat_template");
        return t instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** Sorted by id, as tokenizers serializes them. */
    private static JsonArray addedTokens(GgufBpeVocabulary vocabulary) {
        JsonArray array = new JsonArray();
        for (GgufBpeVocabulary.AddedToken t : vocabulary.added().values()) {
            array.add(addedToken(t.id(), t.content(), t.special()));
        }
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

    private static JsonObject bpeModel(GgufBpeVocabulary vocabulary) {
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
        BpeVocabulary vocab = vocabulary.vocab();
        for (int id = 0; id < vocab.size(); id++) {
            if (vocab.token(id) != null) {
                vocabJson.addProperty(vocab.token(id), id);
            }
        }
        model.add("vocab", vocabJson);
        JsonArray mergesJson = new JsonArray();
        for (String m : vocabulary.merges()) {
            int space = m.indexOf(' ');
            JsonArray pairJson = new JsonArray();
            pairJson.add(m.substring(0, space));
            pairJson.add(m.substring(space + 1));
            mergesJson.add(pairJson);
        }
        model.add("merges", mergesJson);
        return model;
    }
}
