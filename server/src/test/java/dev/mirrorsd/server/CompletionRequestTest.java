package dev.mirrorsd.server;

import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.pipeline.GenerationConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Request bodies to settings, and every kind of bad field refused with 400 and the field's name. */
class CompletionRequestTest {

    @Test
    void shouldReadAChatRequestIntoGenerationSettings() {
        CompletionRequest r = CompletionRequest.parse("""
                {"model": "m", "messages": [{"role": "developer", "content": "Be brief."},
                  {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": " there"}]}],
                 "max_tokens": 7, "temperature": 0.5, "top_p": 0.9, "seed": 42, "stop": "\\n", "n": 1,
                 "stream": true, "stream_options": {"include_usage": true}, "frequency_penalty": 0, "user": "x"}""", true);
        assertEquals(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi there")), r.messages());
        assertEquals("m", r.model());
        assertTrue(r.stream());
        assertTrue(r.includeUsage());
        GenerationConfig c = r.config(7, 1);
        assertEquals(7, c.maxNewTokens());
        assertTrue(c.sampling().doSample());
        assertEquals(0.5f, c.sampling().temperature());
        assertEquals(0.9f, c.sampling().topP());
        assertEquals(42, c.sampling().seed());
        assertEquals(List.of("\n"), c.stopStrings());
    }

    @Test
    void temperatureZeroShouldDecodeGreedilyAndAMissingSeedTakeTheFreshOne() {
        CompletionRequest r = CompletionRequest.parse("{\"prompt\": \"a\", \"temperature\": 0}", false);
        GenerationConfig c = r.config(3, 99);
        assertTrue(c.sampling().isGreedy());
        assertEquals(99, c.sampling().seed());
        assertNull(r.maxTokens());
        assertFalse(r.stream());
    }

    @Test
    void maxCompletionTokensShouldWinOverMaxTokens() {
        CompletionRequest r = CompletionRequest.parse(
                "{\"prompt\": \"a\", \"max_tokens\": 5, \"max_completion_tokens\": 9}", false);
        assertEquals(9, r.maxTokens());
    }

    @Test
    void shouldReadAPromptGivenAsTokenIdsOrAsAListOfOneString() {
        assertArrayEquals(new int[] {1, 2, 3}, CompletionRequest.parse("{\"prompt\": [1, 2, 3]}", false).promptIds());
        assertEquals("x", CompletionRequest.parse("{\"prompt\": [\"x\"], \"stop\": [\"a\", \"b\"]}", false).prompt());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            not JSON                   | {"prompt": "a"                                   |
            unquoted names             | {prompt: "a"}                                    |
            text after the object      | {"prompt": "a"} x                                |
            not an object              | ["prompt"]                                       |
            no prompt                  | {"max_tokens": 3}                                | prompt
            empty prompt               | {"prompt": ""}                                   | prompt
            several prompts            | {"prompt": ["a", "b"]}                           | prompt
            prompt of the wrong type   | {"prompt": {"text": "a"}}                        | prompt
            fractional token id        | {"prompt": [1, 2.5]}                             | prompt
            negative max_tokens        | {"prompt": "a", "max_tokens": -1}                | max_tokens
            zero max_tokens            | {"prompt": "a", "max_tokens": 0}                 | max_tokens
            max_tokens as a string     | {"prompt": "a", "max_tokens": "5"}               | max_tokens
            fractional max_tokens      | {"prompt": "a", "max_tokens": 2.5}               | max_tokens
            huge max_tokens            | {"prompt": "a", "max_tokens": 1e12}              | max_tokens
            temperature as a string    | {"prompt": "a", "temperature": "hot"}            | temperature
            temperature above 2        | {"prompt": "a", "temperature": 2.5}              | temperature
            negative temperature       | {"prompt": "a", "temperature": -0.1}             | temperature
            top_p of 0                 | {"prompt": "a", "top_p": 0}                      | top_p
            top_p above 1              | {"prompt": "a", "top_p": 1.5}                    | top_p
            n above 1                  | {"prompt": "a", "n": 2}                          | n
            best_of above 1            | {"prompt": "a", "best_of": 3}                    | best_of
            seed as a string           | {"prompt": "a", "seed": "7"}                     | seed
            stop as a number           | {"prompt": "a", "stop": 3}                       | stop
            empty stop string          | {"prompt": "a", "stop": [""]}                    | stop
            five stop strings          | {"prompt": "a", "stop": ["a","b","c","d","e"]}   | stop
            stream as a string         | {"prompt": "a", "stream": "yes"}                 | stream
            echo                       | {"prompt": "a", "echo": true}                    | echo
            logprobs                   | {"prompt": "a", "logprobs": 2}                   | logprobs
            model as a number          | {"prompt": "a", "model": 3}                      | model
            """)
    void shouldRefuseABadCompletionWith400NamingTheField(String what, String body, String param) {
        ApiError e = assertThrows(ApiError.class, () -> CompletionRequest.parse(body, false), what);
        assertEquals(400, e.status(), what);
        assertEquals("invalid_request_error", e.json().getAsJsonObject("error").get("type").getAsString());
        if (param != null) {
            assertEquals(param, e.json().getAsJsonObject("error").get("param").getAsString(), what);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            no messages                | {"model": "m"}                                             | messages
            messages not a list        | {"messages": "hi"}                                         | messages
            no message                 | {"messages": []}                                           | messages
            message not an object      | {"messages": ["hi"]}                                       | messages[0]
            unknown role               | {"messages": [{"role": "wizard", "content": "hi"}]}        | messages[0].role
            no role                    | {"messages": [{"content": "hi"}]}                          | messages[0].role
            content of the wrong type  | {"messages": [{"role": "user", "content": 5}]}             | messages[0].content
            an image part              | {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]} | messages[0].content
            only empty messages        | {"messages": [{"role": "user", "content": ""}]}            | messages
            logprobs                   | {"messages": [{"role": "user", "content": "a"}], "logprobs": true} | logprobs
            """)
    void shouldRefuseABadChatWith400NamingTheField(String what, String body, String param) {
        ApiError e = assertThrows(ApiError.class, () -> CompletionRequest.parse(body, true), what);
        assertEquals(400, e.status(), what);
        assertEquals(param, e.json().getAsJsonObject("error").get("param").getAsString(), what);
    }

    @Test
    void errorObjectShouldHaveOpenAisFourFields() {
        ApiError e = ApiError.unknownModel("gpt-9");
        assertEquals(404, e.status());
        var error = e.json().getAsJsonObject("error");
        assertEquals("model_not_found", error.get("code").getAsString());
        assertEquals("model", error.get("param").getAsString());
        assertTrue(error.get("message").getAsString().contains("gpt-9"));
        assertTrue(ApiError.invalid("x", null).json().getAsJsonObject("error").get("param").isJsonNull());
    }
}
