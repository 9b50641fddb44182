package dev.mirrorsd.core.format.hf;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.format.ByteMutation;
import dev.mirrorsd.core.format.FailsCleanly;
import dev.mirrorsd.core.format.FailsCleanly.Outcome;
import dev.mirrorsd.core.format.FuzzFiles;
import dev.mirrorsd.core.format.JsonValues;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzzes the Hugging Face config reader: random {@code config.json} objects, and a valid one with keys
 * set to random JSON (negative and huge sizes, wrong types, nulls), dropped, or its text corrupted;
 * {@code tokenizer_config.json} likewise. {@link HfCheckpoint#open} either succeeds or fails with a
 * ModelFormatException that names the file.
 */
class HfConfigFuzzTest {
    /** Every key the readers look at, so that random objects and edits hit them. */
    private static final List<String> KEYS = List.of("architectures", "model_type", "vocab_size", "hidden_size",
            "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
            "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling", "rope_parameters", "rope_type",
            "type", "hidden_act", "mlp_bias", "use_sliding_window", "attention_bias", "tie_word_embeddings",
            "bos_token_id", "eos_token_id", "chat_template", "bos_token", "eos_token", "content", "name", "template");
    private static FuzzFiles files;

    @BeforeContainer
    static void createScratch() {
        files = new FuzzFiles("hf-config-fuzz");
    }

    @AfterContainer
    static void removeScratch() {
        files.close();
    }

    /** The Llama of HfCheckpointTest: vocab 8, hidden 4, ffn 6, 2 layers, 2 query heads over 1 kv head. */
    private static JsonObject validConfig() {
        JsonObject c = HfCheckpointTest.tinyConfig("LlamaForCausalLM");
        JsonObject rope = new JsonObject();
        rope.addProperty("rope_type", "default");
        rope.addProperty("rope_theta", 10000.0);
        c.add("rope_parameters", rope);
        return c;
    }

    private static JsonObject validTokenizerConfig() {
        JsonObject t = new JsonObject();
        t.addProperty("bos_token", "<s>");
        JsonObject eos = new JsonObject();
        eos.addProperty("content", "</s>");
        t.add("eos_token", eos);
        t.addProperty("chat_template", "{{ messages[0].content }}");
        return t;
    }

    @Example
    void seedIsValid() {
        assertEquals(Outcome.ACCEPTED, open(utf8(validConfig().toString()), utf8(validTokenizerConfig().toString())));
    }

    @Property(tries = 10_000)
    void randomConfigsReadOrFailCleanly(@ForAll("randomObjects") JsonObject config,
                                        @ForAll("randomObjects") JsonObject tokenizerConfig) {
        Statistics.collect(open(utf8(config.toString()), utf8(tokenizerConfig.toString())));
    }

    @Property(tries = 10_000)
    void editedConfigsReadOrFailCleanly(@ForAll("keyEdits") List<Tuple.Tuple2<String, JsonElement>> configEdits,
                                        @ForAll("keyEdits") List<Tuple.Tuple2<String, JsonElement>> tokenizerEdits,
                                        @ForAll("textEdits") List<ByteMutation> textEdits, @ForAll boolean corruptText) {
        byte[] config = utf8(edit(validConfig(), configEdits).toString());
        String tokenizer = edit(validTokenizerConfig(), tokenizerEdits).toString();
        // corrupted bytes may be invalid UTF-8, which the reader must refuse cleanly too
        Statistics.collect(open(corruptText ? ByteMutation.applyAll(config, textEdits) : config, utf8(tokenizer)));
    }

    @Provide
    Arbitrary<JsonObject> randomObjects() {
        return JsonValues.object(KEYS, 1);
    }

    /** Sets a key (at the top, or inside rope_parameters) to a random value, or removes it when the value is null. */
    @Provide
    Arbitrary<List<Tuple.Tuple2<String, JsonElement>>> keyEdits() {
        Arbitrary<String> key = Arbitraries.oneOf(Arbitraries.of(KEYS), Arbitraries.of(KEYS).map(k -> "rope_parameters." + k));
        return Combinators.combine(key, JsonValues.any(KEYS, 1)).as(Tuple::of).list().ofMaxSize(3);
    }

    @Provide
    Arbitrary<List<ByteMutation>> textEdits() {
        return ByteMutation.edits(300, 2);
    }

    private static JsonObject edit(JsonObject json, List<Tuple.Tuple2<String, JsonElement>> edits) {
        for (Tuple.Tuple2<String, JsonElement> e : edits) {
            JsonObject target = json;
            String key = e.get1();
            if (key.startsWith("rope_parameters.") && json.get("rope_parameters") instanceof JsonObject rope) {
                target = rope;
                key = key.substring("rope_parameters.".length());
            }
            if (e.get2().isJsonNull() && target.has(key)) {
                target.remove(key);
            } else {
                target.add(key, e.get2());
            }
        }
        return json;
    }

    /** UTF-8, with lone surrogates (which random strings hold) written as '?'. */
    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Outcome open(byte[] config, byte[] tokenizerConfig) {
        Path dir = files.dir();
        write(dir.resolve("config.json"), config);
        write(dir.resolve("tokenizer_config.json"), tokenizerConfig);
        // HfConfigReader's errors name config.json, HfTokenizerFiles' tokenizer_config.json: both lie in dir
        return FailsCleanly.check(dir.toString(), () -> HfCheckpoint.open(dir));
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
