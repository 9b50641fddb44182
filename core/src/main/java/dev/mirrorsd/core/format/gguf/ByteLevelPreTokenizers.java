package dev.mirrorsd.core.format.gguf;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * The pre-tokenizer a byte-level BPE vocabulary was trained with, chosen from the GGUF
 * {@code tokenizer.ggml.pre} name as transformers does (GGUF_PRE_TOKENIZER_SPLITS): a known name
 * gets its split regex before a regex-less ByteLevel; any other gets GPT-2's ByteLevel with its
 * built-in regex.
 */
final class ByteLevelPreTokenizers {
    /** GPT-2's split, built into tokenizers' ByteLevel pre-tokenizer (its use_regex). */
    private static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String TEKKEN = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String GPT4O = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN35 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final Map<String, String> SPLITS = Map.ofEntries(
            Map.entry("llama3", LLAMA3), Map.entry("llama-v3", LLAMA3), Map.entry("llama-bpe", LLAMA3),
            Map.entry("falcon3", LLAMA3), Map.entry("falcon-h1", LLAMA3), Map.entry("pixtral", LLAMA3),
            Map.entry("midm-2.0", LLAMA3), Map.entry("lfm2", LLAMA3), Map.entry("jina-v5-nano", LLAMA3),
            Map.entry("dbrx", LLAMA3), Map.entry("smaug-bpe", LLAMA3),
            Map.entry("tekken", TEKKEN),
            Map.entry("qwen2", QWEN2), Map.entry("deepseek-r1-qwen", QWEN2), Map.entry("kormo", QWEN2),
            Map.entry("f2llmv2", QWEN2), Map.entry("megrez", QWEN2),
            Map.entry("qwen35", QWEN35),
            Map.entry("gpt-4o", GPT4O), Map.entry("llama4", GPT4O), Map.entry("kanana2", GPT4O),
            Map.entry("talkie", GPT4O), Map.entry("minimax-m2", GPT4O));

    private ByteLevelPreTokenizers() {
    }

    /** The pre-tokenizer JSON for a {@code tokenizer.ggml.pre} value (null when absent). */
    static JsonObject forGgufPre(String pre) {
        String split = pre == null ? null : SPLITS.get(pre);
        if (split == null) {
            return byteLevel(false, true);
        }
        JsonObject regex = new JsonObject();
        regex.addProperty("Regex", split);
        JsonObject splitJson = new JsonObject();
        splitJson.addProperty("type", "Split");
        splitJson.add("pattern", regex);
        splitJson.addProperty("behavior", "Isolated");
        splitJson.addProperty("invert", false);
        JsonArray steps = new JsonArray();
        steps.add(splitJson);
        steps.add(byteLevel(false, false));
        JsonObject sequence = new JsonObject();
        sequence.addProperty("type", "Sequence");
        sequence.add("pretokenizers", steps);
        return sequence;
    }

    /**
     * The split {@link #forGgufPre} gives {@code pre}, for java.util.regex. The regexes are written for
     * Oniguruma, which tokenizers runs with Unicode classes: {@code \s} is White_Space and
     * {@code (?i)} folds case by Unicode, so the Java pattern needs UNICODE_CHARACTER_CLASS (which
     * implies UNICODE_CASE). With it, each split cuts text where DJL's does, code point for code point.
     */
    static Pattern javaSplit(String pre) {
        String split = pre == null ? null : SPLITS.get(pre);
        return Pattern.compile(split == null ? GPT2 : split, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** A ByteLevel pre-tokenizer or decoder ({@code tokenizers}' JSON for both is the same). */
    static JsonObject byteLevel(boolean addPrefixSpace, boolean useRegex) {
        JsonObject o = new JsonObject();
        o.addProperty("type", "ByteLevel");
        o.addProperty("add_prefix_space", addPrefixSpace);
        o.addProperty("trim_offsets", true);
        o.addProperty("use_regex", useRegex);
        return o;
    }
}
