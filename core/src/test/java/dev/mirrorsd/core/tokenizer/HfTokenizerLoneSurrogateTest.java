package dev.mirrorsd.core.tokenizer;

import dev.mirrorsd.core.format.gguf.GgufTokenizerJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A Java String cannot hold invalid UTF-8, but it can hold a lone surrogate ("\uD800"), which has
 * no UTF-8 encoding. Encoding one must not crash the JVM through the native tokenizer. What it does:
 * the surrogate reaches Rust as its three CESU-8 bytes, none valid UTF-8, so it is read as three
 * U+FFFD replacement characters; the text around it encodes as usual.
 */
class HfTokenizerLoneSurrogateTest {
    private static HfTokenizer tokenizer;

    @BeforeAll
    static void build() {
        // byte-level BPE over a, b, the three bytes of U+FFFD (EF BF BD) spelled in the byte alphabet
        tokenizer = HfTokenizer.fromJson(GgufTokenizerJson.build(Map.of(
                "tokenizer.ggml.model", "gpt2",
                "tokenizer.ggml.tokens", List.of("a", "b", "ï", "¿", "½", "ï¿", "ï¿½"),
                "tokenizer.ggml.merges", List.of("ï ¿", "ï¿ ½"))));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void shouldEncodeALoneSurrogateAsThreeReplacementCharacters() {
        int[] replacement = tokenizer.encode("\uFFFD");
        assertArrayEquals(new int[] {6}, replacement);
        // the JNI hands the surrogate over as its 3-byte CESU-8 form; each invalid byte becomes U+FFFD
        assertArrayEquals(new int[] {0, 6, 6, 6, 1}, tokenizer.encode("a\uD800b"));
        assertArrayEquals(new int[] {0, 6, 6, 6, 1}, tokenizer.encode("a\uDC00b"));
        assertEquals("a\uFFFD\uFFFD\uFFFDb", tokenizer.decode(tokenizer.encode("a\uD800b")));
    }

    @Test
    void shouldStayUsableAfterALoneSurrogate() {
        tokenizer.encode("\uD800\uD800\uDFFF\uDC00");
        assertArrayEquals(new int[] {0, 1}, tokenizer.encode("ab"));
    }
}
