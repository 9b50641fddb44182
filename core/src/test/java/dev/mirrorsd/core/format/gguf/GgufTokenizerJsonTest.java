package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.testing.SmolLM2Target;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.model.UnsupportedModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.mirrorsd.core.format.gguf.GgufFileTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufTokenizerJsonTest {
    @TempDir
    Path dir;

    private HuggingFaceTokenizer djl(String json) throws IOException {
        Path file = Files.writeString(dir.resolve("tokenizer.json"), json, StandardCharsets.UTF_8);
        // DJL truncates to 512 tokens unless told not to, whatever tokenizer.json says.
        return HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(false)
                .optTruncation(false).build();
    }

    private static Map<String, Object> tinyVocab() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", "gpt2");
        // ids: 0 <|endoftext|> (control), 1 <think> (user-defined), 2 h, 3 i, 4 Ġ, 5 hi, 6 Ġhi, 7 "€" outside the byte alphabet
        m.put("tokenizer.ggml.tokens", List.of("<|endoftext|>", "<think>", "h", "i", "Ġ", "hi", "Ġhi", "€"));
        m.put("tokenizer.ggml.token_type", List.of(3L, 4L, 1L, 1L, 1L, 1L, 1L, 1L));
        m.put("tokenizer.ggml.merges", List.of("h i", "Ġ hi"));
        return m;
    }

    @Test
    void shouldBuildByteLevelBpeThatDjlLoads() throws IOException {
        try (HuggingFaceTokenizer tok = djl(GgufTokenizerJson.build(tinyVocab()))) {
            Encoding e = tok.encode("hi hi<|endoftext|><think>");
            assertArrayEquals(new long[] {5, 6, 0, 1}, e.getIds());
            assertEquals("hi hi<|endoftext|><think>", tok.decode(e.getIds(), false));
            assertEquals("hi hi<think>", tok.decode(e.getIds(), true), "only control tokens are special");
        }
    }

    @Test
    void shouldMarkControlTokensSpecialAndUserDefinedPlain() {
        JsonObject json = JsonParser.parseString(GgufTokenizerJson.build(tinyVocab())).getAsJsonObject();
        JsonArray added = json.getAsJsonArray("added_tokens");
        assertEquals(2, added.size());
        assertEquals("<|endoftext|>", added.get(0).getAsJsonObject().get("content").getAsString());
        assertTrue(added.get(0).getAsJsonObject().get("special").getAsBoolean());
        assertEquals("<think>", added.get(1).getAsJsonObject().get("content").getAsString());
        assertTrue(!added.get(1).getAsJsonObject().get("special").getAsBoolean());
        JsonObject vocab = json.getAsJsonObject("model").getAsJsonObject("vocab");
        assertEquals(7, vocab.get("âĤ¬").getAsInt(), "a token outside the byte alphabet is spelled as its UTF-8 bytes");
    }

    @Test
    void shouldUseTheSplitRegexNamedByTokenizerPre() {
        Map<String, Object> m = tinyVocab();
        m.put("tokenizer.ggml.pre", "qwen2");
        JsonObject pre = JsonParser.parseString(GgufTokenizerJson.build(m)).getAsJsonObject().getAsJsonObject("pre_tokenizer");
        assertEquals("Sequence", pre.get("type").getAsString());
        assertEquals("Split", pre.getAsJsonArray("pretokenizers").get(0).getAsJsonObject().get("type").getAsString());
    }

    @Test
    void shouldRejectSentencePieceVocabulariesForNow() {
        Map<String, Object> m = tinyVocab();
        m.put("tokenizer.ggml.model", "llama");
        assertMessage(UnsupportedModelException.class, () -> GgufTokenizerJson.build(m), "llama", "gpt2");
    }

    @Test
    void shouldExposeTheChatTemplate() {
        Map<String, Object> m = tinyVocab();
        assertTrue(GgufTokenizerJson.chatTemplate(m).isEmpty());
        m.put("tokenizer.chat_template", "{% for m in messages %}{% endfor %}");
        assertEquals("{% for m in messages %}{% endfor %}", GgufTokenizerJson.chatTemplate(m).orElseThrow());
    }

    @Test
    void shouldEncodeAndDecodeSmolLM2AsTransformersDoes() throws IOException {
        String json;
        try (GgufFile gguf = GgufFile.open(SmolLM2Target.require())) {
            json = GgufTokenizerJson.build(gguf.metadata());
            assertTrue(gguf.chatTemplate().orElseThrow().contains("<|im_start|>"));
        }
        JsonObject fixture = GgufFileTest.json("/fixtures/smollm2/gguf_tokenizer_cases.json");
        List<String> mismatches = new ArrayList<>();
        try (HuggingFaceTokenizer tok = djl(json)) {
            for (JsonElement c : fixture.getAsJsonArray("cases")) {
                JsonObject tc = c.getAsJsonObject();
                String text = tc.get("text").getAsString();
                long[] want = tc.getAsJsonArray("ids").asList().stream().mapToLong(JsonElement::getAsLong).toArray();
                long[] got = tok.encode(text).getIds();
                if (!java.util.Arrays.equals(want, got)) {
                    mismatches.add("encode " + text + ": want " + java.util.Arrays.toString(want)
                            + " got " + java.util.Arrays.toString(got));
                }
                String decoded = tok.decode(want, false);
                if (!tc.get("decoded").getAsString().equals(decoded)) {
                    mismatches.add("decode " + text + ": got '" + decoded + "'");
                }
            }
        }
        assertEquals(List.of(), mismatches);
    }

    @Test
    void shouldNotTruncateLongInputs() throws IOException {
        try (HuggingFaceTokenizer tok = djl(GgufTokenizerJson.build(tinyVocab()))) {
            assertEquals(1000, tok.encode("hi".repeat(1000)).getIds().length, "with optTruncation(false), DJL keeps every token");
        }
    }
}
