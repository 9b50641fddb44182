package dev.mirrorsd.core.tokenizer;

/**
 * What the Rust tokenizers library behind {@link HfTokenizer} makes of text, so that a Java tokenizer
 * can give the same ids and strings: the string Rust receives from a Java one through JNI, and
 * Rust's {@code String::from_utf8_lossy}.
 */
final class RustStrings {
    private static final char REPLACEMENT = '\uFFFD';

    private RustStrings() {
    }

    /**
     * The string Rust sees for {@code text}. JNI hands over modified UTF-8 (each UTF-16 unit on its
     * own, NUL as C0 80); the jni crate decodes it exactly unless that fails, which only a lone
     * surrogate makes it do, and then reads the whole of it with {@code from_utf8_lossy}: every
     * surrogate (paired ones too) and every NUL turns into replacement characters.
     */
    static String receivedThroughJni(String text) {
        if (!hasLoneSurrogate(text)) {
            return text;
        }
        byte[] bytes = new byte[text.length() * 3];
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != 0 && c < 0x80) {
                bytes[n++] = (byte) c;
            } else if (c < 0x800) {
                bytes[n++] = (byte) (0xC0 | (c >> 6));
                bytes[n++] = (byte) (0x80 | (c & 0x3F));
            } else {
                bytes[n++] = (byte) (0xE0 | (c >> 12));
                bytes[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                bytes[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return fromUtf8Lossy(bytes, n);
    }

    private static boolean hasLoneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The first {@code length} bytes as UTF-8, each maximal invalid subsequence (the longest start of
     * a well-formed sequence, or one byte) read as one U+FFFD, as Rust's {@code from_utf8_lossy} does.
     */
    static String fromUtf8Lossy(byte[] bytes, int length) {
        StringBuilder sb = new StringBuilder(length);
        int i = 0;
        while (i < length) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                sb.append((char) b0);
                i++;
                continue;
            }
            int width = b0 >= 0xC2 && b0 <= 0xDF ? 2 : b0 >= 0xE0 && b0 <= 0xEF ? 3 : b0 >= 0xF0 && b0 <= 0xF4 ? 4 : 0;
            if (width == 0) {
                sb.append(REPLACEMENT);
                i++;
                continue;
            }
            // the second byte's range depends on the first (no overlong forms, surrogates or values past U+10FFFF)
            int lo = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;
            int hi = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;
            int cp = b0 & (width == 2 ? 0x1F : width == 3 ? 0x0F : 0x07);
            int k = 1;
            while (k < width && i + k < length) {
                int b = bytes[i + k] & 0xFF;
                if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) {
                    break;
                }
                cp = (cp << 6) | (b & 0x3F);
                k++;
            }
            if (k == width) {
                sb.appendCodePoint(cp);
            } else {
                sb.append(REPLACEMENT);
            }
            i += k;
        }
        return sb.toString();
    }
}
