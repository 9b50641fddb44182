package dev.mirrorsd.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE (GPT-2's scheme) in plain Java, giving the ids and strings that {@link HfTokenizer}
 * gives for the equivalent {@code tokenizer.json}: added tokens matched whole wherever they occur,
 * no normalizer, a split regex then ByteLevel, BPE without unknown token, dropout or byte fallback,
 * and the ByteLevel decoder. It loads no native library and parses no JSON.
 *
 * <p>As that tokenizer does: the longest added token starting leftmost wins; a character whose
 * byte has no token is dropped; decoding keeps special tokens, skips ids with no token, reads a
 * token outside the byte alphabet as its own UTF-8, and turns invalid UTF-8 into U+FFFD per
 * maximal invalid subsequence. Text holding a lone surrogate is encoded as the Rust library
 * receives it through JNI (see {@link RustStrings#receivedThroughJni}).
 *
 * <p>Thread-safety: every method may be called from several threads at once; the per-word cache
 * is a concurrent map, everything else is immutable.
 */
public final class ByteLevelBpeTokenizer implements TextTokenizer {
    private static final int CACHE_CAPACITY = 10_000; // words, as tokenizers' BPE cache holds
    private static final int CACHED_WORD_CHARS = 256;  // longer words are rare, and would hold memory

    private final BpeVocabulary vocab;
    private final int[] idsByByte;          // (256) id of the one-byte token, -1 where the vocabulary lacks it
    private final BpeMerges merges;
    private final Map<String, Integer> addedIds;
    private final Map<Character, String[]> addedByFirstChar; // longest first
    private final BitSet addedFirstChars;                    // a quick no for the common character
    private final Pattern split;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private ByteLevelBpeTokenizer(BpeVocabulary vocab, List<String> merges, Collection<String> addedTokens,
            Pattern split) {
        this.vocab = vocab;
        this.idsByByte = new int[256];
        for (int b = 0; b < 256; b++) {
            idsByByte[b] = vocab.id(String.valueOf(ByteLevelAlphabet.charOf(b)));
        }
        this.merges = BpeMerges.of(merges, vocab);
        this.addedIds = new HashMap<>();
        Map<Character, List<String>> byFirst = new HashMap<>();
        for (String token : addedTokens) {
            int id = vocab.id(token);
            if (id < 0) {
                throw new IllegalArgumentException("added token '" + token + "' is not in the vocabulary");
            }
            if (token.isEmpty()) {
                continue; // tokenizers never matches an empty added token
            }
            if (addedIds.put(token, id) == null) {
                byFirst.computeIfAbsent(token.charAt(0), c -> new ArrayList<>()).add(token);
            }
        }
        this.addedByFirstChar = new HashMap<>();
        this.addedFirstChars = new BitSet();
        byFirst.forEach((first, tokens) -> {
            tokens.sort((a, b) -> Integer.compare(b.length(), a.length()));
            addedByFirstChar.put(first, tokens.toArray(String[]::new));
            addedFirstChars.set(first);
        });
        this.split = split;
    }

    /**
     * A tokenizer over {@code vocab}, merging by {@code merges} (lines "left right", in rank order),
     * matching {@code addedTokens} (vocabulary entries; an empty one never matches) whole in the text
     * before anything else, and splitting the rest into words by {@code split}, its matches and the
     * text between them alike. A merge that is not two vocabulary tokens making a third is a
     * {@link dev.mirrorsd.core.model.ModelFormatException}.
     */
    public static ByteLevelBpeTokenizer create(BpeVocabulary vocab, List<String> merges,
            Collection<String> addedTokens, Pattern split) {
        return new ByteLevelBpeTokenizer(vocab, merges, addedTokens, split);
    }

    @Override
    public int[] encode(String text) {
        String s = RustStrings.receivedThroughJni(text);
        IntBuffer out = new IntBuffer(Math.max(16, s.length() / 3));
        segment(s, new Segments() {
            @Override
            public void added(String token) {
                out.add(addedIds.get(token));
            }

            @Override
            public void word(String word) {
                out.addAll(wordIds(word));
            }
        });
        return out.toArray();
    }

    /** The pieces encode sees in {@code text}: added tokens as themselves, and the words the split makes of the rest. */
    List<String> preTokenize(String text) {
        List<String> pieces = new ArrayList<>();
        segment(RustStrings.receivedThroughJni(text), new Segments() {
            @Override
            public void added(String token) {
                pieces.add(token);
            }

            @Override
            public void word(String word) {
                pieces.add(word);
            }
        });
        return pieces;
    }

    private interface Segments {
        void added(String token);

        void word(String word);
    }

    /** Cuts {@code s} at added tokens, then the text between them into words, in order. */
    private void segment(String s, Segments out) {
        int plainStart = 0;
        int i = 0;
        while (i < s.length()) {
            String added = addedTokenAt(s, i);
            if (added == null) {
                i++;
                continue;
            }
            splitWords(s, plainStart, i, out);
            out.added(added);
            i += added.length();
            plainStart = i;
        }
        splitWords(s, plainStart, s.length(), out);
    }

    /** The longest added token at {@code s[i..]}, or null. */
    private String addedTokenAt(String s, int i) {
        char first = s.charAt(i);
        if (!addedFirstChars.get(first)) {
            return null;
        }
        for (String token : addedByFirstChar.get(first)) {
            if (s.startsWith(token, i)) {
                return token;
            }
        }
        return null;
    }

    /** Splits {@code s[from..to)} into words: the split's matches and the text between them alike. */
    private void splitWords(String s, int from, int to, Segments out) {
        if (from == to) {
            return;
        }
        // opaque bounds (the default): lookahead sees no further than the region, as in a string of its own
        Matcher m = split.matcher(s).region(from, to);
        int last = from;
        while (m.find()) {
            if (m.start() > last) {
                out.word(s.substring(last, m.start()));
            }
            if (m.end() > m.start()) {
                out.word(s.substring(m.start(), m.end()));
            }
            last = m.end();
        }
        if (last < to) {
            out.word(s.substring(last, to));
        }
    }

    private int[] wordIds(String word) {
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = mergeWord(word);
            if (word.length() < CACHED_WORD_CHARS && cache.size() < CACHE_CAPACITY) {
                cache.put(word, ids);
            }
        }
        return ids;
    }

    private int[] mergeWord(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        int[] symbols = new int[bytes.length];
        int count = 0;
        for (byte b : bytes) {
            int id = idsByByte[b & 0xFF];
            if (id >= 0) {
                symbols[count++] = id;
            }
        }
        return merges.merge(symbols, count);
    }

    @Override
    public String decode(int[] ids) {
        byte[] bytes = new byte[Math.max(16, ids.length * 4)];
        int n = 0;
        for (int id : ids) {
            String token = tokenString(id);
            if (token == null) {
                continue;
            }
            byte[] raw = ByteLevelAlphabet.isSpelled(token) ? null : token.getBytes(StandardCharsets.UTF_8);
            int need = raw == null ? token.length() : raw.length;
            if (n + need > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, n + need));
            }
            if (raw != null) {
                System.arraycopy(raw, 0, bytes, n, raw.length);
                n += raw.length;
            } else {
                for (int i = 0; i < token.length(); i++) {
                    bytes[n++] = (byte) ByteLevelAlphabet.byteOf(token.charAt(i));
                }
            }
        }
        return RustStrings.fromUtf8Lossy(bytes, n);
    }

    /** Highest id in the vocabulary, plus one. */
    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public String tokenString(int id) {
        return vocab.token(id);
    }

    @Override
    public int tokenId(String token) {
        return vocab.id(token);
    }

    /** Nothing to release: the tokenizer holds no native resource. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "ByteLevelBpeTokenizer[" + vocab.size() + " tokens, " + addedIds.size() + " added]";
    }

    private static final class IntBuffer {
        private int[] values;
        private int size;

        IntBuffer(int capacity) {
            values = new int[capacity];
        }

        void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        void addAll(int[] vs) {
            if (size + vs.length > values.length) {
                values = Arrays.copyOf(values, Math.max(size * 2, size + vs.length));
            }
            System.arraycopy(vs, 0, values, size, vs.length);
            size += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
