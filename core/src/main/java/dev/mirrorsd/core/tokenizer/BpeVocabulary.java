package dev.mirrorsd.core.tokenizer;

import java.util.List;

/**
 * A byte-level BPE vocabulary: each id's token, spelled in the {@link ByteLevelAlphabet}, and the id
 * of each spelling. A spelling listed twice keeps its last id and the earlier id has no token, as in
 * the token-to-id map of a {@code tokenizer.json}.
 *
 * <p>Spans of a longer string are looked up in place: reading fifty thousand merges ("left right")
 * then copies no string, which a cold start notices. Immutable, so safe to share between threads.
 */
public final class BpeVocabulary {
    private final String[] tokensById; // (size) null where a later id took the spelling
    private final int[] slots;         // (capacity) open addressing by String.hashCode: id + 1, 0 where free
    private final int mask;

    private BpeVocabulary(String[] tokensById) {
        this.tokensById = tokensById;
        this.slots = new int[Integer.highestOneBit(Math.max(2, tokensById.length * 2 - 1)) << 1];
        this.mask = slots.length - 1;
        for (int id = 0; id < tokensById.length; id++) {
            String token = tokensById[id];
            int slot = slot(token.hashCode());
            while (slots[slot] != 0 && !tokensById[slots[slot] - 1].equals(token)) {
                slot = (slot + 1) & mask;
            }
            if (slots[slot] != 0) {
                tokensById[slots[slot] - 1] = null;
            }
            slots[slot] = id + 1;
        }
    }

    /** The vocabulary whose token {@code i} is {@code spelledTokens.get(i)}. */
    public static BpeVocabulary of(List<String> spelledTokens) {
        return new BpeVocabulary(spelledTokens.toArray(String[]::new));
    }

    /** Ids in use, plus one: the number of tokens listed, those whose spelling a later id took included. */
    public int size() {
        return tokensById.length;
    }

    /** The token of {@code id}, or null when out of range or when a later id has its spelling. */
    public String token(int id) {
        return id >= 0 && id < tokensById.length ? tokensById[id] : null;
    }

    /** The id of {@code token}, or -1. */
    public int id(String token) {
        return find(token.hashCode(), token, 0, token.length(), null, 0, 0);
    }

    /** The id of {@code s[from..to)}, or -1. */
    int id(String s, int from, int to) {
        return find(hash(s, from, to, 0), s, from, to, null, 0, 0);
    }

    /** The id of {@code a[aFrom..aTo)} followed by {@code b[bFrom..bTo)}, or -1. */
    int idOfConcatenation(String a, int aFrom, int aTo, String b, int bFrom, int bTo) {
        return find(hash(b, bFrom, bTo, hash(a, aFrom, aTo, 0)), a, aFrom, aTo, b, bFrom, bTo);
    }

    // String.hashCode's polynomial, continued from h: a span hashes as the string it spells would
    private static int hash(String s, int from, int to, int h) {
        for (int i = from; i < to; i++) {
            h = 31 * h + s.charAt(i);
        }
        return h;
    }

    private int find(int hash, String a, int aFrom, int aTo, String b, int bFrom, int bTo) {
        int aLength = aTo - aFrom;
        int length = aLength + (b == null ? 0 : bTo - bFrom);
        for (int slot = slot(hash); slots[slot] != 0; slot = (slot + 1) & mask) {
            String t = tokensById[slots[slot] - 1];
            if (t.length() == length && t.regionMatches(0, a, aFrom, aLength)
                    && (b == null || t.regionMatches(aLength, b, bFrom, bTo - bFrom))) {
                return slots[slot] - 1;
            }
        }
        return -1;
    }

    private int slot(int hash) {
        return ((hash ^ (hash >>> 16)) * 0x9E3779B9 >>> 1) & mask;
    }
}
