package dev.mirrorsd.core.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.model.ModelFormatException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's binding of the Rust tokenizers library, set up
 * for decoding: nothing added on encode (no BOS, no EOS), no truncation (DJL's default cuts at 512
 * tokens), no padding, special tokens kept on decode. Only {@code tokenizer.json} is read;
 * {@code tokenizer_config.json} options (lower-casing, clean-up of spaces) are not applied.
 *
 * <p>DJL exposes no vocabulary, so {@link #tokenString} and {@link #tokenId} come from the file's
 * {@code model.vocab} and {@code added_tokens}.
 *
 * <p>Thread-safety: after construction every method but {@link #close} may be called from several
 * threads at once (the Rust tokenizer is immutable once built); {@code close} must not race with them.
 */
public final class HfTokenizer implements TextTokenizer {
    private final HuggingFaceTokenizer tokenizer;
    private final String[] tokensById;          // (vocabSize), null where no token has the id
    private final Map<String, Integer> idsByToken;
    private final String source;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Vocabulary vocabulary, String source) {
        this.tokenizer = tokenizer;
        this.tokensById = vocabulary.tokensById;
        this.idsByToken = vocabulary.idsByToken;
        this.source = source;
    }

    /** Loads {@code tokenizer.json}; a {@link ModelFormatException} names the file when it cannot. */
    public static HfTokenizer fromFile(Path tokenizerJson) {
        String json;
        try {
            json = Files.readString(tokenizerJson, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelFormatException(tokenizerJson + ": cannot read tokenizer: " + e.getMessage(), e);
        }
        return create(json, tokenizerJson.toString());
    }

    /** Builds a tokenizer from the text of a {@code tokenizer.json}. */
    public static HfTokenizer fromJson(String tokenizerJson) {
        return create(tokenizerJson, "<tokenizer.json text>");
    }

    private static HfTokenizer create(String json, String source) {
        Vocabulary vocabulary = Vocabulary.parse(json, source);
        Map<String, String> options = new HashMap<>();
        options.put("addSpecialTokens", "false");
        options.put("truncation", "false");
        options.put("padding", "false");
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), options);
            return new HfTokenizer(t, vocabulary, source);
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(source + ": cannot build tokenizer: " + e.getMessage(), e);
        }
    }

    @Override
    public int[] encode(String text) {
        Encoding encoding = tokenizer.encode(text, false, false);
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            wide[i] = ids[i];
        }
        return tokenizer.decode(wide, false);
    }

    /** Highest id in the vocabulary or among the added tokens, plus one. */
    @Override
    public int vocabSize() {
        return tokensById.length;
    }

    @Override
    public String tokenString(int id) {
        return id >= 0 && id < tokensById.length ? tokensById[id] : null;
    }

    @Override
    public int tokenId(String token) {
        Integer id = idsByToken.get(token);
        return id == null ? -1 : id;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    @Override
    public String toString() {
        return "HfTokenizer[" + source + ", " + tokensById.length + " tokens]";
    }

    /** {@code model.vocab} (a map for BPE/WordPiece/WordLevel, a list of pieces for Unigram) plus {@code added_tokens}. */
    private static final class Vocabulary {
        final String[] tokensById;
        final Map<String, Integer> idsByToken;

        private Vocabulary(Map<String, Integer> idsByToken) {
            int max = -1;
            for (int id : idsByToken.values()) {
                max = Math.max(max, id);
            }
            this.tokensById = new String[max + 1];
            idsByToken.forEach((token, id) -> tokensById[id] = token);
            this.idsByToken = Map.copyOf(idsByToken);
        }

        static Vocabulary parse(String json, String source) {
            Map<String, Integer> ids = new HashMap<>();
            try {
                JsonObject root = JsonParser.parseString(json).getAsJsonObject();
                JsonObject model = root.getAsJsonObject("model");
                JsonElement vocab = model == null ? null : model.get("vocab");
                if (vocab == null || vocab.isJsonNull()) {
                    throw new ModelFormatException(source + ": tokenizer has no model.vocab");
                }
                if (vocab.isJsonObject()) {
                    for (Map.Entry<String, JsonElement> e : vocab.getAsJsonObject().entrySet()) {
                        ids.put(e.getKey(), nonNegative(source, e.getKey(), e.getValue().getAsInt()));
                    }
                } else {
                    JsonArray pieces = vocab.getAsJsonArray();
                    for (int i = 0; i < pieces.size(); i++) {
                        ids.put(pieces.get(i).getAsJsonArray().get(0).getAsString(), i);
                    }
                }
                JsonElement added = root.get("added_tokens");
                if (added != null && added.isJsonArray()) {
                    for (JsonElement a : added.getAsJsonArray()) {
                        JsonObject o = a.getAsJsonObject();
                        String content = o.get("content").getAsString();
                        ids.put(content, nonNegative(source, content, o.get("id").getAsInt()));
                    }
                }
            } catch (RuntimeException e) {
                if (e instanceof ModelFormatException) {
                    throw e;
                }
                throw new ModelFormatException(source + ": not a tokenizer.json: " + e.getMessage(), e);
            }
            return new Vocabulary(ids);
        }

        private static int nonNegative(String source, String token, int id) {
            if (id < 0) {
                throw new ModelFormatException(source + ": token '" + token + "' has negative id " + id);
            }
            return id;
        }
    }
}
