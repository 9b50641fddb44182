package dev.mirrorsd.core.tokenizer;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.format.gguf.GgufFile;
import dev.mirrorsd.core.format.gguf.GgufTokenizerJson;
import dev.mirrorsd.core.format.gguf.GgufTokenizers;
import dev.mirrorsd.core.testing.SmolLM2Target;
import dev.mirrorsd.core.testing.SpecBenchQuestions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default target's tokenizer in Java against the one it replaces: DJL running the
 * {@code tokenizer.json} that {@link GgufTokenizerJson} writes from the same GGUF metadata. Every
 * encode and decode must give the same ids and the same text.
 */
class ByteLevelBpeTokenizerSmolLM2Test {
    private static final int SHOWN = 10;
    private static Map<String, Object> metadata;
    private static TextTokenizer bpe;
    private static HfTokenizer djl;

    @BeforeAll
    static void load() {
        try (GgufFile gguf = GgufFile.open(SmolLM2Target.require())) {
            metadata = gguf.metadata();
        }
        bpe = GgufTokenizers.open(metadata);
        djl = HfTokenizer.fromJson(GgufTokenizerJson.build(metadata));
    }

    @AfterAll
    static void close() {
        bpe.close();
        djl.close();
    }

    @Test
    void shouldBuildTheJavaTokenizerForSmolLM2() {
        assertInstanceOf(ByteLevelBpeTokenizer.class, bpe);
    }

    @Test
    void shouldEncodeEverySpecBenchTurnAsDjlDoes() throws IOException {
        List<String> turns = new ArrayList<>();
        for (String line : Files.readAllLines(SpecBenchQuestions.file())) {
            JsonObject q = JsonParser.parseString(line).getAsJsonObject();
            q.getAsJsonArray("turns").forEach(t -> turns.add(t.getAsString()));
        }
        assertTrue(turns.size() >= 480, "Spec-Bench has 480 questions, some with two turns; read " + turns.size());
        assertSameEncodings(turns);
    }

    @Test
    void shouldEncodeChatPromptsWithSpecialTokensAsDjlDoes() throws IOException {
        ChatTemplate template = new ChatTemplate(GgufTokenizerJson.chatTemplate(metadata).orElseThrow(),
                bpe.tokenString(1), bpe.tokenString(2));
        List<String> prompts = new ArrayList<>();
        List<String> firstTurns = new ArrayList<>();
        for (String line : Files.readAllLines(SpecBenchQuestions.file())) {
            firstTurns.add(JsonParser.parseString(line).getAsJsonObject().getAsJsonArray("turns").get(0).getAsString());
        }
        for (int i = 0; i < firstTurns.size(); i += 7) {
            String question = firstTurns.get(i);
            prompts.add(template.render(List.of(ChatMessage.user(question)), true));
            prompts.add(template.render(List.of(ChatMessage.system("You are terse."), ChatMessage.user(question),
                    ChatMessage.assistant("<|im_start|>Sure.<|im_end|><|endoftext|>"), ChatMessage.user("And?")), true));
        }
        String rendered = prompts.getFirst();
        assertTrue(rendered.contains("<|im_start|>") && rendered.contains("<|im_end|>"), rendered);
        assertSameEncodings(prompts);
        int imStart = bpe.tokenId("<|im_start|>");
        assertEquals(imStart, bpe.encode(rendered)[0], "the special token is matched whole");
    }

    @Test
    void shouldEncodeAdversarialTextAsDjlDoes() {
        List<String> texts = new ArrayList<>(AdversarialText.cases());
        for (int i = 0; i < 17; i++) {
            texts.add(bpe.tokenString(i)); // every special token alone
            texts.add("x" + bpe.tokenString(i) + " " + bpe.tokenString(i) + "y\n" + bpe.tokenString(i));
        }
        texts.add("<|im_start|<|im_start|>>|im_end|><|im_end|<|im_end|>");
        texts.add("<|im_start|>".repeat(50) + "<|endoftext|>" + "</s>");
        assertSameEncodings(texts);
        assertSameEncodings(AdversarialText.random(new Random(7), 400));
    }

    @Test
    void shouldDecodeEveryTokenAloneAsDjlDoes() {
        List<String> mismatches = new ArrayList<>();
        for (int id = -2; id < djl.vocabSize() + 2; id++) {
            TokenizerAgreement.decoding(djl, bpe, new int[] {id}, mismatches);
        }
        assertEquals(List.of(), mismatches.stream().limit(SHOWN).toList());
    }

    @Test
    void shouldDecodeRandomIdSequencesAsDjlDoes() {
        // random ids break UTF-8 sequences across tokens and mix in special and out-of-range ids
        Random random = new Random(11);
        int[] byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = bpe.tokenId(String.valueOf(ByteLevelAlphabet.charOf(b)));
        }
        List<String> mismatches = new ArrayList<>();
        for (int n = 0; n < 3000; n++) {
            int[] ids = new int[random.nextInt(12)];
            for (int i = 0; i < ids.length; i++) {
                int kind = random.nextInt(10);
                ids[i] = kind < 4 ? byteTokens[128 + random.nextInt(128)]
                        : kind < 5 ? random.nextInt(17)
                        : kind < 6 ? djl.vocabSize() + random.nextInt(3) - 1
                        : random.nextInt(djl.vocabSize());
            }
            TokenizerAgreement.decoding(djl, bpe, ids, mismatches);
        }
        assertEquals(List.of(), mismatches.stream().limit(SHOWN).toList());
    }

    @Test
    void shouldShareTheVocabulary() {
        assertEquals(djl.vocabSize(), bpe.vocabSize());
        List<String> mismatches = new ArrayList<>();
        TokenizerAgreement.vocabulary(djl, bpe, mismatches);
        assertEquals(-1, bpe.tokenId("no such token"));
        assertEquals(djl.tokenId("<|im_end|>"), bpe.tokenId("<|im_end|>"));
        assertEquals(List.of(), mismatches.stream().limit(SHOWN).toList());
    }

    private static void assertSameEncodings(List<String> texts) {
        List<String> mismatches = new ArrayList<>();
        for (String text : texts) {
            TokenizerAgreement.decoding(djl, bpe, TokenizerAgreement.encoding(djl, bpe, text, mismatches), mismatches);
            if (mismatches.size() >= SHOWN) {
                break;
            }
        }
        assertEquals(List.of(), mismatches);
    }
}
