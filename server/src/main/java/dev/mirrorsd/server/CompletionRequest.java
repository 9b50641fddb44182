package dev.mirrorsd.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.pipeline.GenerationConfig;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One {@code /v1/chat/completions} or {@code /v1/completions} request, checked field by field.
 * Every bad field is refused with an {@link ApiError} naming it; fields this server does not act
 * on (penalties, user, logit_bias...) are ignored as vLLM ignores them, except those whose answer
 * would be silently wrong without them (n > 1, logprobs, echo, best_of > 1).
 *
 * @param chat         true: {@code messages}; false: {@code prompt}
 * @param model        the model asked for, or null (then the one served)
 * @param messages     the conversation (chat), else null
 * @param prompt       the prompt text (completions), else null
 * @param promptIds    the prompt as token ids (completions given a list of integers), else null
 * @param maxTokens    {@code max_completion_tokens} or {@code max_tokens}, or null (the context left)
 * @param temperature  0 = greedy; OpenAI's default 1
 * @param topP         nucleus, in (0, 1]
 * @param seed         the request's seed, or null (a fresh one per request)
 * @param stop         stop strings: the text ends before the first one
 * @param stream       answer with server-sent events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the usage
 * @param ignoreEos    vLLM's extra {@code ignore_eos}: run on past end-of-sequence tokens
 */
record CompletionRequest(
        boolean chat,
        String model,
        List<ChatMessage> messages,
        String prompt,
        int[] promptIds,
        Integer maxTokens,
        float temperature,
        float topP,
        Long seed,
        List<String> stop,
        boolean stream,
        boolean includeUsage,
        boolean ignoreEos) {

    /** OpenAI's limit on stop sequences. */
    static final int MAX_STOPS = 4;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    /** The generation settings; {@code maxNewTokens} already resolved against the context, {@code seed} for a seedless request. */
    GenerationConfig config(int maxNewTokens, long freshSeed) {
        long s = seed != null ? seed : freshSeed;
        SamplingConfig sampling = temperature == 0
                ? new SamplingConfig(false, 1f, 0, 1f, 1f, s)
                : new SamplingConfig(true, temperature, 0, topP, 1f, s);
        return GenerationConfig.defaults().withMaxNewTokens(maxNewTokens).withSampling(sampling).withStopStrings(stop)
                .withIgnoreEos(ignoreEos);
    }

    /** Parses a request body; {@code chat} selects which endpoint's fields are required. */
    static CompletionRequest parse(String body, boolean chat) {
        JsonElement root;
        try {
            // strict: Gson's default would read {model: x} or a trailing comma as JSON
            JsonReader reader = new JsonReader(new StringReader(body));
            reader.setStrictness(Strictness.STRICT);
            root = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("text after the JSON value");
            }
        } catch (JsonParseException | IOException e) {
            throw ApiError.invalid("the body is not valid JSON: " + rootCause(e), null);
        }
        if (!root.isJsonObject()) {
            throw ApiError.invalid("the body must be a JSON object", null);
        }
        JsonObject o = root.getAsJsonObject();
        String model = string(o, "model");
        List<ChatMessage> messages = chat ? messages(o) : null;
        String prompt = null;
        int[] promptIds = null;
        if (!chat) {
            JsonElement p = present(o, "prompt");
            if (p == null) {
                throw ApiError.invalid("'prompt' is required", "prompt");
            }
            if (p.isJsonArray() && p.getAsJsonArray().size() > 0 && isNumber(p.getAsJsonArray().get(0))) {
                promptIds = tokenIds(p.getAsJsonArray());
            } else {
                prompt = promptText(p);
            }
        }
        Integer maxTokens = integer(o, "max_completion_tokens");
        String maxName = "max_completion_tokens";
        if (maxTokens == null) {
            maxTokens = integer(o, "max_tokens");
            maxName = "max_tokens";
        }
        if (maxTokens != null && maxTokens < 1) {
            throw ApiError.invalid("'" + maxName + "' must be at least 1, got " + maxTokens, maxName);
        }
        Double temperature = number(o, "temperature");
        if (temperature != null && !(temperature >= 0 && temperature <= 2)) {
            throw ApiError.invalid("'temperature' must be in [0, 2], got " + temperature, "temperature");
        }
        Double topP = number(o, "top_p");
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw ApiError.invalid("'top_p' must be in (0, 1], got " + topP, "top_p");
        }
        Integer n = integer(o, "n");
        if (n != null && n != 1) {
            throw ApiError.invalid("only n = 1 is supported, got " + n, "n");
        }
        Integer bestOf = integer(o, "best_of");
        if (bestOf != null && bestOf != 1) {
            throw ApiError.invalid("only best_of = 1 is supported, got " + bestOf, "best_of");
        }
        refuseTrue(o, "echo");
        refuseTrue(o, "logprobs");
        if (present(o, "top_logprobs") != null) {
            throw ApiError.invalid("'top_logprobs' is not supported", "top_logprobs");
        }
        Long seed = longInteger(o, "seed");
        List<String> stop = stops(o);
        Boolean stream = bool(o, "stream");
        Boolean ignoreEos = bool(o, "ignore_eos");
        boolean includeUsage = false;
        JsonElement options = present(o, "stream_options");
        if (options != null) {
            if (!options.isJsonObject()) {
                throw ApiError.invalid("'stream_options' must be an object", "stream_options");
            }
            Boolean usage = bool(options.getAsJsonObject(), "include_usage");
            includeUsage = usage != null && usage;
        }
        return new CompletionRequest(chat, model, messages, prompt, promptIds, maxTokens,
                temperature == null ? 1f : temperature.floatValue(), topP == null ? 1f : topP.floatValue(),
                seed, stop, stream != null && stream, includeUsage,
                ignoreEos != null && ignoreEos);
    }

    private static List<ChatMessage> messages(JsonObject o) {
        JsonElement m = present(o, "messages");
        if (m == null) {
            throw ApiError.invalid("'messages' is required", "messages");
        }
        if (!m.isJsonArray() || m.getAsJsonArray().isEmpty()) {
            throw ApiError.invalid("'messages' must be a non-empty array of {role, content} objects", "messages");
        }
        List<ChatMessage> messages = new ArrayList<>();
        JsonArray array = m.getAsJsonArray();
        for (int i = 0; i < array.size(); i++) {
            String where = "messages[" + i + "]";
            if (!array.get(i).isJsonObject()) {
                throw ApiError.invalid("'" + where + "' must be an object with 'role' and 'content'", where);
            }
            JsonObject message = array.get(i).getAsJsonObject();
            String role = string(message, "role", where + ".role");
            if (role == null || !ROLES.contains(role)) {
                throw ApiError.invalid("'" + where + ".role' must be one of system, developer, user, assistant;"
                        + " got " + (role == null ? "none" : "'" + role + "'"), where + ".role");
            }
            String content = content(present(message, "content"), where + ".content");
            // OpenAI's newer name for the system turn; chat templates know only "system"
            messages.add(new ChatMessage(role.equals("developer") ? "system" : role, content));
        }
        if (messages.stream().allMatch(msg -> msg.content().isEmpty())) {
            throw ApiError.invalid("the messages are all empty", "messages");
        }
        return List.copyOf(messages);
    }

    /** A string, or a list of {@code {"type": "text", "text": ...}} parts joined; null reads as empty. */
    private static String content(JsonElement c, String where) {
        if (c == null) {
            return "";
        }
        if (c.isJsonPrimitive() && c.getAsJsonPrimitive().isString()) {
            return c.getAsString();
        }
        if (c.isJsonArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonElement part : c.getAsJsonArray()) {
                if (!part.isJsonObject() || !"text".equals(string(part.getAsJsonObject(), "type", where))) {
                    throw ApiError.invalid("'" + where + "' parts must be {\"type\": \"text\", \"text\": ...};"
                            + " this server reads text only", where);
                }
                text.append(string(part.getAsJsonObject(), "text", where));
            }
            return text.toString();
        }
        throw ApiError.invalid("'" + where + "' must be a string or a list of text parts", where);
    }

    private static String promptText(JsonElement p) {
        if (p.isJsonArray()) {
            JsonArray array = p.getAsJsonArray();
            if (array.size() != 1) {
                throw ApiError.invalid("one prompt per request: 'prompt' must be a string or a list of one"
                        + " string, got a list of " + array.size(), "prompt");
            }
            p = array.get(0);
        }
        if (!p.isJsonPrimitive() || !p.getAsJsonPrimitive().isString()) {
            throw ApiError.invalid("'prompt' must be a string, a list of one string or a list of token ids", "prompt");
        }
        if (p.getAsString().isEmpty()) {
            throw ApiError.invalid("'prompt' is empty", "prompt");
        }
        return p.getAsString();
    }

    private static int[] tokenIds(JsonArray array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = asInt(array.get(i), "prompt");
        }
        return ids;
    }

    private static List<String> stops(JsonObject o) {
        JsonElement s = present(o, "stop");
        if (s == null) {
            return List.of();
        }
        List<String> stops = new ArrayList<>();
        if (s.isJsonArray()) {
            for (JsonElement e : s.getAsJsonArray()) {
                stops.add(asStopString(e));
            }
        } else {
            stops.add(asStopString(s));
        }
        if (stops.size() > MAX_STOPS) {
            throw ApiError.invalid("at most " + MAX_STOPS + " stop sequences, got " + stops.size(), "stop");
        }
        return List.copyOf(stops);
    }

    private static String asStopString(JsonElement e) {
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw ApiError.invalid("'stop' must be a string or a list of strings, got " + e, "stop");
        }
        if (e.getAsString().isEmpty()) {
            throw ApiError.invalid("'stop' strings must not be empty", "stop");
        }
        return e.getAsString();
    }

    private static void refuseTrue(JsonObject o, String name) {
        JsonElement e = present(o, name);
        if (e == null) {
            return;
        }
        boolean on = e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean() ? e.getAsBoolean()
                : !(isNumber(e) && e.getAsDouble() == 0); // completions' logprobs is a count
        if (on) {
            throw ApiError.invalid("'" + name + "' is not supported", name);
        }
    }

    /** The field, or null when absent or JSON null (clients send null for "not set"). */
    private static JsonElement present(JsonObject o, String name) {
        JsonElement e = o.get(name);
        return e == null || e.isJsonNull() ? null : e;
    }

    private static boolean isNumber(JsonElement e) {
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber();
    }

    private static String string(JsonObject o, String name) {
        return string(o, name, name);
    }

    private static String string(JsonObject o, String name, String param) {
        JsonElement e = present(o, name);
        if (e == null) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw ApiError.invalid("'" + param + "' must be a string, got " + e, param);
        }
        return e.getAsString();
    }

    private static Boolean bool(JsonObject o, String name) {
        JsonElement e = present(o, name);
        if (e == null) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw ApiError.invalid("'" + name + "' must be true or false, got " + e, name);
        }
        return e.getAsBoolean();
    }

    private static Double number(JsonObject o, String name) {
        JsonElement e = present(o, name);
        if (e == null) {
            return null;
        }
        if (!isNumber(e)) {
            throw ApiError.invalid("'" + name + "' must be a number, got " + e, name);
        }
        return e.getAsDouble();
    }

    private static Integer integer(JsonObject o, String name) {
        JsonElement e = present(o, name);
        return e == null ? null : asInt(e, name);
    }

    private static Long longInteger(JsonObject o, String name) {
        JsonElement e = present(o, name);
        if (e == null) {
            return null;
        }
        try {
            return integral(e, name).longValueExact();
        } catch (ArithmeticException tooBig) {
            throw ApiError.invalid("'" + name + "' must be a 64-bit integer, got " + e, name);
        }
    }

    private static int asInt(JsonElement e, String name) {
        try {
            return integral(e, name).intValueExact();
        } catch (ArithmeticException tooBig) {
            throw ApiError.invalid("'" + name + "' is out of range, got " + e, name);
        }
    }

    private static BigDecimal integral(JsonElement e, String name) {
        if (isNumber(e)) {
            BigDecimal value = ((JsonPrimitive) e).getAsBigDecimal();
            if (value.stripTrailingZeros().scale() <= 0) {
                return value;
            }
        }
        throw ApiError.invalid("'" + name + "' must be an integer, got " + e, name);
    }

    private static String rootCause(Throwable e) {
        while (e.getCause() != null && e.getCause().getMessage() != null) {
            e = e.getCause();
        }
        return e.getMessage();
    }
}
