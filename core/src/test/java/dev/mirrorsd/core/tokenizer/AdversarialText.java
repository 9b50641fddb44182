package dev.mirrorsd.core.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Text that splits, merges or decodes unusually: for comparing a tokenizer with a reference. */
final class AdversarialText {
    private static final String[] SPECIAL = {"<|im_start|>", "<|im_end|>", "<|endoftext|>", "<repo_name>", "<|im_start"};
    private static final String[] WHITESPACE = {" ", "  ", "\n", "\n\n", "\r\n", "\t", "\u00A0", "\u2003", "\u3000",
        "\u0085", "\u2028", "\u000B", "\u000C", "\u200B", "\uFEFF", "\u001F"};

    private AdversarialText() {
    }

    static List<String> cases() {
        List<String> t = new ArrayList<>(List.of(
                "", " ", "  ", "\n", "\n\n\n", "\r\n", "\t", "\t\t x", " \n \n", "a  b", "a \n b", "hello   ",
                "   leading", "a\n\n\n\nb", "x \t\n\u00A0 y", " \u00A0 ", "end \n",
                "1234567890", "3.14159", "1,000,000", "x1y22z333", " 42", "-7", "2026-12-07T10:00:00Z",
                "\u0661\u0662\u0663", "\u216B", "\u00BD", "x\u00B2", "\uFF11\uFF12",
                "\uD83D\uDE00", "\uD83D\uDC4D\uD83C\uDFFD", "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67",
                "\uD83C\uDDEB\uD83C\uDDF7", "a\uD83D\uDE00b", " \uD83D\uDE00\uD83D\uDE00", "\uD800\uDC00", "\uDBFF\uDFFF",
                "\u4F60\u597D\uFF0C\u4E16\u754C", "\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8", "\uD55C\uAD6D\uC5B4",
                "Hello\u4E16\u754C123", "e\u0301", "z\u0334\u0322\u031Ba\u0337l\u0338g\u0335o\u0336",
                "\u0928\u092E\u0938\u094D\u0924\u0947", "\u0645\u0631\u062D\u0628\u0627", "\u05E9\u05DC\u05D5\u05DD",
                "\u0E2A\u0E27\u0E31\u0E2A\u0E14\u0E35", "\u0410\u0411\u0412 \u0430\u0431\u0432",
                "I'm", "you're", "they've", "I'LL", "'s", "don't", "It'S", "'\u017F", "'\u212A", "x'd've",
                "\u0000", "a\u0000b", "\u0007", "\u007F", "\u0080\u009F",
                "\uD800", "a\uDC00b", "\uD83D", "\uD83D\uDE00\uD800", "\uDFFF\uD800", "<|im_start|>\uD800<|im_end|>",
                "\uD800\u0000", "ĠĊ", "\u00E2\u0124\u00AC", "Ġhello", "\\u00e9 %20 &amp;",
                "def f(x):\n\treturn x**2  # comment\n", "<html><body><p>Hi</p></body></html>",
                "{\"a\": [1, 2.5, null], \"b\": \"\\n\"}", "https://example.com/a?b=c&d=%E2%82%AC#f",
                "SELECT * FROM t WHERE x >= 10;", "    indented\n        more\n\tand tab"));
        t.add("a".repeat(5000));
        t.add("ab".repeat(3000));
        t.add("1".repeat(1000));
        t.add(" ".repeat(1000));
        t.add("\n".repeat(500));
        t.add("supercalifragilistic".repeat(200));
        t.add("\uD83D\uDE00".repeat(500));
        t.add("Ġ".repeat(300));
        t.add("\u4E16".repeat(700));
        t.add("x".repeat(300) + " " + "y".repeat(300) + "\n\t " + "7".repeat(77));
        return t;
    }

    /** {@code count} random strings mixing scripts, digits, whitespace, special tokens and lone surrogates. */
    static List<String> random(Random random, int count) {
        List<String> texts = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            StringBuilder sb = new StringBuilder();
            int pieces = random.nextInt(40);
            for (int i = 0; i < pieces; i++) {
                switch (random.nextInt(12)) {
                    case 0 -> sb.append((char) ('a' + random.nextInt(26)));
                    case 1 -> sb.append("the quick Brown fox".substring(random.nextInt(10)));
                    case 2 -> sb.append((char) ('0' + random.nextInt(10)));
                    case 3 -> sb.append("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".charAt(random.nextInt(32)));
                    case 4 -> sb.append(WHITESPACE[random.nextInt(WHITESPACE.length)]);
                    case 5 -> sb.append((char) (0x4E00 + random.nextInt(0x5000)));
                    case 6 -> sb.appendCodePoint(0x1F300 + random.nextInt(0x300));
                    case 7 -> sb.append((char) (0x0300 + random.nextInt(0x70)));
                    case 8 -> sb.append((char) (0x80 + random.nextInt(0x380)));
                    case 9 -> sb.appendCodePoint(randomCodePoint(random));
                    case 10 -> sb.append(SPECIAL[random.nextInt(SPECIAL.length)]);
                    default -> sb.append(random.nextInt(50) == 0 ? (char) (0xD800 + random.nextInt(0x800)) : ' ');
                }
            }
            texts.add(sb.toString());
        }
        return texts;
    }

    private static int randomCodePoint(Random random) {
        while (true) {
            int cp = random.nextInt(Character.MAX_CODE_POINT + 1);
            if (!Character.isSurrogate((char) cp) || cp > 0xFFFF) {
                return cp;
            }
        }
    }

    /** {@code s} with everything outside printable ASCII as \\uXXXX, for messages. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 300; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\u%04X", (int) c));
        }
        return s.length() > 300 ? sb + "..." : sb.toString();
    }
}
