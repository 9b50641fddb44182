package dev.mirrorsd.core.format;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.math.BigDecimal;
import java.util.List;

/**
 * Random JSON for fuzzing the readers of JSON model files: every JSON type, numbers chosen to break
 * size checks (negative, zero, 2^31, 1e400, fractions), strings a reader might look for, and nested
 * arrays and objects whose keys are drawn from {@code keys} or made up.
 */
public final class JsonValues {
    private static final List<Number> NUMBERS = List.of(0, 1, 2, -1, -2, 3, 4, 8, 64, Integer.MAX_VALUE,
            Integer.MIN_VALUE, 1L << 31, -(1L << 31) - 1, Long.MAX_VALUE, Long.MIN_VALUE, 0.5, -0.0, 1e-30,
            1e308, -1e308, Double.MIN_VALUE, new BigDecimal("1e400"), new BigDecimal("-1e400"),
            new BigDecimal("123456789012345678901234567890"), 2.0000000001, 1e-5);
    private static final List<String> STRINGS = List.of("", "LlamaForCausalLM", "MistralForCausalLM",
            "Qwen2ForCausalLM", "llama", "qwen2", "silu", "gelu", "default", "linear", "yarn", "F32", "F16", "BF16",
            "I64", "<s>", "</s>", "12", "-1", "1e400", "NaN", "\u0000", "\uD800", "null", "true");

    private JsonValues() {
    }

    /** Any JSON value, nested at most {@code depth} deep. */
    public static Arbitrary<JsonElement> any(List<String> keys, int depth) {
        if (depth <= 0) {
            return primitive();
        }
        return Arbitraries.frequencyOf(
                Tuple.of(6, primitive()),
                Tuple.of(1, any(keys, depth - 1).list().ofMaxSize(3).map(JsonValues::array)),
                Tuple.of(1, object(keys, depth - 1)));
    }

    /** An object of up to six members (a repeated key keeps its last value). */
    public static Arbitrary<JsonObject> object(List<String> keys, int depth) {
        Arbitrary<String> key = Arbitraries.oneOf(Arbitraries.of(keys), Arbitraries.strings().ascii().ofMaxLength(4));
        // a list of members, not Arbitraries.maps: jqwik's unique-key maps cost many times more to generate
        return Combinators.combine(key, any(keys, depth)).as(Tuple::of).list().ofMaxSize(6).map(members -> {
            JsonObject o = new JsonObject();
            members.forEach(m -> o.add(m.get1(), m.get2()));
            return o;
        });
    }

    public static Arbitrary<JsonElement> primitive() {
        return Arbitraries.oneOf(
                Arbitraries.of(NUMBERS).map(JsonPrimitive::new),
                Arbitraries.integers().map(JsonPrimitive::new),
                Arbitraries.doubles().map(JsonPrimitive::new),
                Arbitraries.of(STRINGS).map(JsonPrimitive::new),
                Arbitraries.strings().ofMaxLength(8).map(JsonPrimitive::new),
                Arbitraries.of(true, false).map(JsonPrimitive::new),
                Arbitraries.just(JsonNull.INSTANCE));
    }

    private static JsonElement array(List<JsonElement> elements) {
        JsonArray a = new JsonArray();
        elements.forEach(a::add);
        return a;
    }
}
