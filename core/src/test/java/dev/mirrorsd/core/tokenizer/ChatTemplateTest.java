package dev.mirrorsd.core.tokenizer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Renderings checked against transformers' apply_chat_template (tools/fixtures/make_chat_template_fixture.py). */
class ChatTemplateTest {

    @TestFactory
    Stream<DynamicTest> shouldRenderLikeTransformers() {
        return Stream.of("smollm2", "llama3", "qwen2", "mistral", "blocks").flatMap(name -> {
            JsonObject fixture = fixture(name);
            ChatTemplate template = new ChatTemplate(fixture.get("template").getAsString(),
                    string(fixture.get("bos_token")), string(fixture.get("eos_token")));
            List<DynamicTest> tests = new ArrayList<>();
            int i = 0;
            for (JsonElement c : fixture.getAsJsonArray("cases")) {
                JsonObject tc = c.getAsJsonObject();
                List<ChatMessage> messages = new ArrayList<>();
                for (JsonElement m : tc.getAsJsonArray("messages")) {
                    messages.add(new ChatMessage(m.getAsJsonObject().get("role").getAsString(),
                            m.getAsJsonObject().get("content").getAsString()));
                }
                boolean gen = tc.get("add_generation_prompt").getAsBoolean();
                String label = name + " #" + i++ + " (" + messages.size() + " messages, add_generation_prompt=" + gen + ")";
                tests.add(DynamicTest.dynamicTest(label, () -> {
                    if (tc.has("error")) {
                        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                                () -> template.render(messages, gen));
                        assertEquals(tc.get("error").getAsString(), e.getMessage());
                    } else {
                        assertEquals(tc.get("expected").getAsString(), template.render(messages, gen));
                    }
                }));
            }
            return tests.stream();
        });
    }

    @Test
    void shouldRaiseTemplateExceptionsWithTheirMessage() {
        ChatTemplate t = new ChatTemplate("{% if messages[0]['role'] != 'user' %}"
                + "{{ raise_exception('first turn must be the user') }}{% endif %}ok", null, null);
        assertEquals("ok", t.render(List.of(ChatMessage.user("hi")), false));
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> t.render(List.of(ChatMessage.assistant("hi")), false));
        assertEquals("first turn must be the user", e.getMessage());
    }

    @Test
    void shouldRenderMissingBosAsEmpty() {
        ChatTemplate t = new ChatTemplate("[{{ bos_token }}]{{ messages[0].content }}", null, "</s>");
        assertTrue(t.render(List.of(ChatMessage.user("x")), true).equals("[]x"));
    }

    private static String string(JsonElement e) {
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    private static JsonObject fixture(String name) {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/fixtures/chat/" + name + ".json")) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + name);
            }
            return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
