package dev.mirrorsd.core.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.mirrorsd.core.format.gguf.GgufTokenizerJson;
import dev.mirrorsd.core.format.gguf.GgufTokenizers;
import dev.mirrorsd.core.model.ModelFormatException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Small GGUF vocabularies through the Java tokenizer and through DJL's run of the
 * {@code tokenizer.json} that {@link GgufTokenizerJson} writes for them: the split of every
 * pre-tokenizer the GGUF reader maps, merges from random vocabularies, and the corners of added
 * tokens, unknown bytes and decoding. Every expectation is DJL's answer, none is written here.
 */
class ByteLevelBpeTokenizerTest {
    /** One name for each split regex, GPT-2's for a name the reader does not know and for none. */
    private static final String[] PRE = {null, "smollm", "llama-bpe", "qwen2", "qwen35", "tekken", "gpt-4o"};
    private static final int SHOWN = 10;

    @Test
    void shouldSplitTextIntoTheWordsDjlSplitsItInto() throws IOException {
        // every byte a token and no merges: DJL's word ids then show the split of each byte
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevelAlphabet.charOf(b)));
        }
        List<String> texts = new ArrayList<>(AdversarialText.cases());
        texts.addAll(AdversarialText.random(new Random(3), 300));
        texts.addAll(codePointSweep());
        for (String pre : PRE) {
            Map<String, Object> metadata = metadata(tokens, null, List.of());
            if (pre != null) {
                metadata.put("tokenizer.ggml.pre", pre);
            }
            ByteLevelBpeTokenizer bpe = assertInstanceOf(ByteLevelBpeTokenizer.class, GgufTokenizers.open(metadata));
            List<String> mismatches = new ArrayList<>();
            try (HuggingFaceTokenizer djl = djl(metadata)) {
                for (String text : texts) {
                    long[] want = djl.encode(text, false, false).getWordIds();
                    long[] got = wordIds(bpe.preTokenize(text));
                    if (!Arrays.equals(want, got) && mismatches.size() < SHOWN) {
                        mismatches.add(pre + " '" + AdversarialText.escape(text) + "': djl " + Arrays.toString(want)
                                + " java " + Arrays.toString(got));
                    }
                }
            }
            assertEquals(List.of(), mismatches);
        }
    }

    /**
     * Every code point below U+0800 (Latin, Greek, Cyrillic, Hebrew, Arabic and their marks), of
     * General Punctuation (Unicode's spaces and separators) and of CJK Symbols, and one in 251 of the
     * rest, each after a letter, a digit, a space, an apostrophe and a newline: a code point whose
     * class (letter, mark, number, space) the two regex engines read differently splits differently
     * in one of these. (All code points, swept once outside the tests, split the same.)
     */
    private static List<String> codePointSweep() {
        List<String> chunks = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        for (int cp = 1; cp <= Character.MAX_CODE_POINT; cp++) {
            if ((cp % 251 != 0 && !everyOne(cp)) || (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE)) {
                continue;
            }
            String c = Character.toString(cp);
            sb.append('a').append(c).append('1').append(c).append(' ').append(c).append('\'').append(c).append('\n');
            if (sb.length() > 20_000) {
                chunks.add(sb.toString());
                sb.setLength(0);
            }
        }
        chunks.add(sb.toString());
        return chunks;
    }

    private static boolean everyOne(int cp) {
        return cp < 0x800 || (cp >= 0x2000 && cp < 0x2070) || (cp >= 0x3000 && cp < 0x3040);
    }

    private static long[] wordIds(List<String> words) {
        List<Long> ids = new ArrayList<>();
        for (int w = 0; w < words.size(); w++) {
            for (int b = 0; b < words.get(w).getBytes(StandardCharsets.UTF_8).length; b++) {
                ids.add((long) w);
            }
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    @Test
    void shouldEncodeAndDecodeWithRandomVocabulariesAsDjlDoes() throws IOException {
        Random random = new Random(5);
        for (int vocabulary = 0; vocabulary < 40; vocabulary++) {
            RandomVocabulary v = RandomVocabulary.create(random);
            Map<String, Object> metadata = metadata(v.tokens, v.types, v.merges);
            String pre = PRE[random.nextInt(PRE.length)];
            if (pre != null) {
                metadata.put("tokenizer.ggml.pre", pre);
            }
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                texts.add(v.text(random));
            }
            texts.addAll(AdversarialText.cases().subList(0, 40));
            assertSameAsDjl(metadata, texts, random);
        }
    }

    @Test
    void shouldMatchTheLongestAddedTokenStartingLeftmost() throws IOException {
        // <a> is special, <a><b> user-defined: the longer wins where both start; an unfinished one is text
        Map<String, Object> m = metadata(List.of("<a>", "<a><b>", "<", "a", ">", "b", "Ġ", "Ġ<"),
                List.of(3L, 4L, 1L, 1L, 1L, 1L, 1L, 1L), List.of("Ġ <"));
        assertSameAsDjl(m, List.of("<a><b><a>", "<a<a><b>", "<a><b", " <a> <a><b> <", "<<a>>"), new Random(1));
    }

    @Test
    void shouldMatchUserDefinedTokensSpelledInTheByteAlphabet() throws IOException {
        // "Ġfoo" as an added token matches the text Ġfoo, and decodes through the byte alphabet
        Map<String, Object> m = metadata(List.of("Ġfoo", "f", "o", "Ġ", "Ġf", "oo", "Ġfo", "<|endoftext|>"),
                List.of(4L, 1L, 1L, 1L, 1L, 1L, 1L, 1L), List.of("Ġ f", "o o", "Ġf o"));
        assertSameAsDjl(m, List.of("Ġfoo", " foo", "Ġfoo foo<|endoftext|>", "ĠĠfoo"), new Random(2));
    }

    @Test
    void shouldDropBytesWithoutATokenAndIgnoreEmptyAddedTokens() throws IOException {
        // no token for c: "acb" merges a and b once c is gone
        Map<String, Object> m = metadata(List.of("", "a", "b", "ab", "€"), List.of(3L, 1L, 1L, 1L, 4L), List.of("a b"));
        assertSameAsDjl(m, List.of("acb", "c", "ab€", "a\uD800b", "a\u0000b", ""), new Random(3));
    }

    @Test
    void shouldKeepTheLastIdOfARepeatedSpelling() throws IOException {
        // "€" is spelled âĤ¬, as the fourth token already is
        Map<String, Object> m = metadata(List.of("a", "€", "b", "âĤ¬"), null, List.of());
        assertSameAsDjl(m, List.of("a€b", "€"), new Random(4));
    }

    @Test
    void shouldFollowTokenizersWhereTwoPairsMakeTheSameToken() throws IOException {
        // "a bc" and "ab c" both make abc, and "a b" is listed twice (its last rank counts)
        Map<String, Object> m = metadata(List.of("a", "b", "c", "d", "ab", "bc", "abc", "cd", "abcd"), null,
                List.of("b c", "c d", "a bc", "ab c", "abc d", "a b", "a b"));
        assertSameAsDjl(m, List.of("abcd", "abcdabc", "ab", "abcbcd", "aabbccdd"), new Random(5));
    }

    @Test
    void shouldRejectAMergeOutsideTheVocabularyAsDjlDoes() {
        Map<String, Object> m = metadata(List.of("a", "b"), null, List.of("a b"));
        assertThrows(ModelFormatException.class, () -> HfTokenizer.fromJson(GgufTokenizerJson.build(m)).close());
        assertThrows(ModelFormatException.class, () -> GgufTokenizers.open(m));
    }

    @Test
    void shouldGiveSentencePieceVocabulariesToDjl() {
        Map<String, Object> m = metadata(List.of("a", "b"), null, List.of());
        m.put("tokenizer.ggml.model", "llama");
        assertThrows(dev.mirrorsd.core.model.UnsupportedModelException.class, () -> GgufTokenizers.open(m));
    }

    private static void assertSameAsDjl(Map<String, Object> metadata, List<String> texts, Random random) throws IOException {
        TextTokenizer bpe = GgufTokenizers.open(metadata);
        assertInstanceOf(ByteLevelBpeTokenizer.class, bpe);
        List<String> mismatches = new ArrayList<>();
        try (HfTokenizer djl = HfTokenizer.fromJson(GgufTokenizerJson.build(metadata))) {
            assertEquals(djl.vocabSize(), bpe.vocabSize());
            TokenizerAgreement.vocabulary(djl, bpe, mismatches);
            for (String text : texts) {
                TokenizerAgreement.decoding(djl, bpe, TokenizerAgreement.encoding(djl, bpe, text, mismatches), mismatches);
            }
            for (int n = 0; n < 200; n++) {
                int[] ids = random.ints(random.nextInt(8), -1, djl.vocabSize() + 1).toArray();
                TokenizerAgreement.decoding(djl, bpe, ids, mismatches);
            }
        }
        assertEquals(List.of(), mismatches.stream().limit(SHOWN).toList());
    }

    private static Map<String, Object> metadata(List<String> tokens, List<Long> types, List<String> merges) {
        Map<String, Object> m = new HashMap<>();
        m.put("tokenizer.ggml.model", "gpt2");
        m.put("tokenizer.ggml.tokens", tokens);
        if (types != null) {
            m.put("tokenizer.ggml.token_type", types);
        }
        m.put("tokenizer.ggml.merges", merges);
        return m;
    }

    private static HuggingFaceTokenizer djl(Map<String, Object> metadata) throws IOException {
        byte[] json = GgufTokenizerJson.build(metadata).getBytes(StandardCharsets.UTF_8);
        return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json),
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    }

    /**
     * A vocabulary grown the way BPE training grows one, with the oddities real files have: merges
     * that make a token another pair already made, repeated merges, bytes with no token, tokens
     * outside the byte alphabet and added tokens that overlap.
     */
    private static final class RandomVocabulary {
        private static final String ALPHABET = "abcd 1\n'é€\uD83D\uDE00";
        final List<String> tokens = new ArrayList<>();
        final List<Long> types = new ArrayList<>();
        final List<String> merges = new ArrayList<>();
        final List<String> added = new ArrayList<>();

        static RandomVocabulary create(Random random) {
            RandomVocabulary v = new RandomVocabulary();
            Map<String, Integer> ids = new LinkedHashMap<>();
            for (int b = 0; b < 256; b++) {
                if (b < 0x80 || random.nextInt(6) != 0) { // some high bytes have no token
                    v.add(String.valueOf(ByteLevelAlphabet.charOf(b)), 1, ids);
                }
            }
            for (String special : List.of("<s>", "<s><t>", "</s>", "Ġab")) {
                if (random.nextBoolean()) {
                    v.add(special, random.nextBoolean() ? 3 : 4, ids);
                    v.added.add(special);
                }
            }
            if (random.nextBoolean()) {
                v.add("€", 1, ids); // outside the alphabet: respelled, and may repeat a spelling
            }
            List<String> seeds = new ArrayList<>();
            for (char c : "abcd 1\n'".toCharArray()) {
                seeds.add(ByteLevelAlphabet.spell(String.valueOf(c)));
            }
            seeds.addAll(List.of("Ã", "©", "â", "Ĥ", "¬", "ð", "Ł", "ĺ", "Ģ"));
            List<String> pool = new ArrayList<>(seeds);
            int mergeCount = 20 + random.nextInt(80);
            for (int i = 0; i < mergeCount; i++) {
                if (!v.merges.isEmpty() && random.nextInt(15) == 0) {
                    v.merges.add(v.merges.get(random.nextInt(v.merges.size())));
                    continue;
                }
                String left = pool.get(random.nextInt(pool.size()));
                String right = pool.get(random.nextInt(pool.size()));
                if (left.length() + right.length() > 6 || !ids.containsKey(left) || !ids.containsKey(right)) {
                    continue;
                }
                v.merges.add(left + " " + right);
                if (!ids.containsKey(left + right)) {
                    v.add(left + right, 1, ids);
                    pool.add(left + right);
                }
            }
            return v;
        }

        private void add(String token, long type, Map<String, Integer> ids) {
            ids.put(ByteLevelAlphabet.isSpelled(token) ? token : ByteLevelAlphabet.spell(token), tokens.size());
            tokens.add(token);
            types.add(type);
        }

        String text(Random random) {
            StringBuilder sb = new StringBuilder();
            int length = random.nextInt(30);
            for (int i = 0; i < length; i++) {
                if (!added.isEmpty() && random.nextInt(10) == 0) {
                    sb.append(added.get(random.nextInt(added.size())));
                } else if (random.nextInt(40) == 0) {
                    sb.append("<s");
                } else {
                    int at = random.nextInt(ALPHABET.length());
                    sb.append(Character.isHighSurrogate(ALPHABET.charAt(at)) ? "\uD83D\uDE00" : String.valueOf(ALPHABET.charAt(at)));
                }
            }
            return sb.toString();
        }
    }
}
