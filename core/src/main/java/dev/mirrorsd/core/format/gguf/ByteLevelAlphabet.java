package dev.mirrorsd.core.format.gguf;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's byte-to-character table ({@code bytes_to_unicode}): byte-level BPE vocabularies spell
 * every byte as one printable character. Printable Latin-1 bytes stand for themselves; the other
 * 68 bytes map, in order, to U+0100 onwards (the space 0x20 becomes 'Ġ', U+0120).
 */
final class ByteLevelAlphabet {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final boolean[] IN_ALPHABET = new boolean[512];

    static {
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : next++);
            IN_ALPHABET[BYTE_TO_CHAR[b]] = true;
        }
    }

    private ByteLevelAlphabet() {
    }

    /** Whether every character of {@code token} is one of the 256 byte characters. */
    static boolean isSpelled(String token) {
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c >= IN_ALPHABET.length || !IN_ALPHABET[c]) {
                return false;
            }
        }
        return true;
    }

    /** {@code text}'s UTF-8 bytes spelled in the alphabet. */
    static String spell(String text) {
        StringBuilder sb = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            sb.append(BYTE_TO_CHAR[b & 0xFF]);
        }
        return sb.toString();
    }
}
