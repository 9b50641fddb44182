package dev.mirrorsd.core.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's byte-to-character table ({@code bytes_to_unicode}): byte-level BPE vocabularies spell
 * every byte as one printable character. Printable Latin-1 bytes stand for themselves; the other
 * 68 bytes map, in order, to U+0100 onwards (the space 0x20 becomes 'Ġ', U+0120).
 */
public final class ByteLevelAlphabet {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512]; // -1 for characters outside the alphabet

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : next++);
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = b;
        }
    }

    private ByteLevelAlphabet() {
    }

    /** Whether every character of {@code token} is one of the 256 byte characters. */
    public static boolean isSpelled(String token) {
        for (int i = 0; i < token.length(); i++) {
            if (byteOf(token.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code text}'s UTF-8 bytes spelled in the alphabet. */
    public static String spell(String text) {
        StringBuilder sb = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            sb.append(BYTE_TO_CHAR[b & 0xFF]);
        }
        return sb.toString();
    }

    /** The character that spells byte {@code b} (0 to 255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b];
    }

    /** The byte (0 to 255) that {@code c} spells, or -1 when {@code c} is outside the alphabet. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }
}
