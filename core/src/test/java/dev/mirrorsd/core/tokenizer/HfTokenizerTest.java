package dev.mirrorsd.core.tokenizer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.model.ModelFormatException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A tiny byte-level BPE from tools/fixtures/make_tokenizer_fixture.py, checked against Hugging Face tokenizers. */
class HfTokenizerTest {
    private static Path dir;
    private static HfTokenizer tokenizer;

    @BeforeAll
    static void load() throws URISyntaxException {
        dir = Path.of(HfTokenizerTest.class.getResource("/fixtures/tokenizer/tokenizer.json").toURI()).getParent();
        tokenizer = HfTokenizer.fromFile(dir.resolve("tokenizer.json"));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void shouldEncodeAndDecodeLikeHuggingFace() throws IOException {
        JsonObject expected = JsonParser.parseString(Files.readString(dir.resolve("expected.json"))).getAsJsonObject();
        assertEquals(expected.get("vocab_size").getAsInt(), tokenizer.vocabSize());
        for (JsonElement c : expected.getAsJsonArray("cases")) {
            JsonObject tc = c.getAsJsonObject();
            String text = tc.get("text").getAsString();
            int[] ids = new int[tc.getAsJsonArray("ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = tc.getAsJsonArray("ids").get(i).getAsInt();
            }
            assertArrayEquals(ids, tokenizer.encode(text), text);
            assertEquals(tc.get("decoded").getAsString(), tokenizer.decode(ids), text);
            assertEquals(text, tokenizer.decode(tokenizer.encode(text)), "round trip");
        }
    }

    @Test
    void shouldRecogniseSpecialTokensWithoutAddingAny() {
        int start = tokenizer.tokenId("<|im_start|>");
        int end = tokenizer.tokenId("<|im_end|>");
        assertEquals(1, start);
        assertEquals(2, end);
        int[] ids = tokenizer.encode("<|im_start|>user<|im_end|>");
        assertEquals(start, ids[0], "no BOS in front");
        assertEquals(end, ids[ids.length - 1], "no EOS behind");
        assertEquals("<|im_start|>user<|im_end|>", tokenizer.decode(ids), "special tokens kept on decode");
        assertEquals("<|im_end|>", tokenizer.tokenString(end));
        assertEquals(0, tokenizer.encode("").length);
    }

    @Test
    void shouldLookUpVocabulary() {
        int id = tokenizer.encode("the")[0];
        assertEquals(id, tokenizer.tokenId(tokenizer.tokenString(id)));
        assertNull(tokenizer.tokenString(-1));
        assertNull(tokenizer.tokenString(tokenizer.vocabSize()));
        assertEquals(-1, tokenizer.tokenId("no such token"));
    }

    @Test
    void shouldNotTruncateLongTexts() {
        String text = "Speculative decoding drafts tokens and the target verifies them. ".repeat(200);
        int[] ids = tokenizer.encode(text);
        assertTrue(ids.length > 2000, "got " + ids.length + " tokens");
        assertEquals(text, tokenizer.decode(ids));
    }

    @Test
    void shouldBuildFromJsonText() throws IOException {
        try (HfTokenizer fromText = HfTokenizer.fromJson(Files.readString(dir.resolve("tokenizer.json"), StandardCharsets.UTF_8))) {
            assertArrayEquals(tokenizer.encode("Hello there!"), fromText.encode("Hello there!"));
            assertEquals(tokenizer.vocabSize(), fromText.vocabSize());
        }
    }

    @Test
    void shouldRejectFilesThatAreNotTokenizers() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizer.fromJson("{\"version\": 1}"));
        assertTrue(e.getMessage().contains("model.vocab"), e.getMessage());
        assertThrows(ModelFormatException.class, () -> HfTokenizer.fromFile(dir.resolve("missing.json")));
    }
}
