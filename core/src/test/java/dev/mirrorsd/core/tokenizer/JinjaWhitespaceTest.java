package dev.mirrorsd.core.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JinjaWhitespaceTest {

    @Test
    void shouldStripWhitespaceAroundMinusTags() {
        assertEquals("a{{ x }}b", JinjaWhitespace.apply("a \n  {{- x -}}\n\t b"));
        assertEquals("a{% if y %}b", JinjaWhitespace.apply("a\n    {%- if y -%}\n b"));
        assertEquals("a{# c #}b", JinjaWhitespace.apply("a  {#- c -#}  b"));
    }

    @Test
    void shouldLeaveStringLiteralsAndPlainTagsAlone() {
        assertEquals("a {{ '  -}} ' }}x", JinjaWhitespace.apply("a {{ '  -}} ' -}}  x"));
        assertEquals("a {{ \"{{- \\\" \" }} b", JinjaWhitespace.apply("a {{ \"{{- \\\" \" }} b"));
    }

    @Test
    void shouldLeaveRawBlocksAlone() {
        assertEquals("{% raw %} {{- x -}} {% endraw %}", JinjaWhitespace.apply("{% raw %} {{- x -}} {% endraw %}"));
    }
}
