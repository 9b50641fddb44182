package dev.mirrorsd.core.tokenizer;

/**
 * Applies Jinja2's explicit whitespace control ({@code {{-}, {@code -}}}, {@code {%-}, {@code -%}},
 * {@code {#-}, {@code -#}}) to a template's text before Jinjava sees it: Jinjava ignores the minus on
 * expression tags, which Hugging Face templates use everywhere. A minus after an opening delimiter
 * removes all whitespace (newlines included) before the tag; a minus before a closing delimiter
 * removes all whitespace after it. String literals inside tags and {@code raw} blocks are left alone.
 */
final class JinjaWhitespace {

    private JinjaWhitespace() {
    }

    static String apply(String template) {
        StringBuilder out = new StringBuilder(template.length());
        int i = 0;
        int n = template.length();
        boolean skipWhitespace = false;
        while (i < n) {
            char c = template.charAt(i);
            if (skipWhitespace && Character.isWhitespace(c)) {
                i++;
                continue;
            }
            skipWhitespace = false;
            String close = closingFor(template, i);
            if (close == null) {
                out.append(c);
                i++;
                continue;
            }
            // an opening delimiter: copy the tag, dropping its whitespace-control minuses
            int bodyStart = i + 2;
            if (bodyStart < n && template.charAt(bodyStart) == '-') {
                trimTrailingWhitespace(out);
                bodyStart++;
            }
            int end = findClose(template, bodyStart, close);
            if (end < 0) {
                // unterminated tag: leave the rest for Jinjava to report
                out.append(template, i, n);
                break;
            }
            int bodyEnd = end;
            if (bodyEnd > bodyStart && template.charAt(bodyEnd - 1) == '-') {
                bodyEnd--;
                skipWhitespace = true;
            }
            String body = template.substring(bodyStart, bodyEnd);
            out.append(template, i, i + 2).append(body).append(close);
            i = end + 2;
            if (close.equals("%}") && body.trim().equals("raw")) {
                int endRaw = findEndRaw(template, i);
                out.append(template, i, endRaw);
                i = endRaw;
            }
        }
        return out.toString();
    }

    /** The closing delimiter if an opening one starts at {@code i}, else null. */
    private static String closingFor(String s, int i) {
        if (s.charAt(i) != '{' || i + 1 >= s.length()) {
            return null;
        }
        switch (s.charAt(i + 1)) {
            case '{':
                return "}}";
            case '%':
                return "%}";
            case '#':
                return "#}";
            default:
                return null;
        }
    }

    /** Index of {@code close} ending the tag body that starts at {@code from}, skipping string literals. */
    private static int findClose(String s, int from, String close) {
        boolean comment = close.equals("#}");
        char quote = 0;
        for (int i = from; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (!comment && (c == '\'' || c == '"')) {
                quote = c;
            } else if (s.startsWith(close, i)) {
                return i;
            }
        }
        return -1;
    }

    /** Start of the {@code {% endraw %}} tag after a raw block's body, or the end of the text. */
    private static int findEndRaw(String s, int from) {
        int i = from;
        while ((i = s.indexOf("{%", i)) >= 0) {
            int j = i + 2;
            if (j < s.length() && s.charAt(j) == '-') {
                j++;
            }
            if (s.substring(j).stripLeading().startsWith("endraw")) {
                return i;
            }
            i = j;
        }
        return s.length();
    }

    private static void trimTrailingWhitespace(StringBuilder out) {
        int len = out.length();
        while (len > 0 && Character.isWhitespace(out.charAt(len - 1))) {
            len--;
        }
        out.setLength(len);
    }
}
