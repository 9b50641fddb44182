package dev.mirrorsd.core.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face chat template (Jinja2) rendered with HubSpot Jinjava, configured as transformers
 * configures Jinja2: {@code trim_blocks} and {@code lstrip_blocks} on, {@code raise_exception(msg)}
 * defined. Templates see {@code messages} (maps with {@code role} and {@code content}),
 * {@code add_generation_prompt}, {@code bos_token} and {@code eos_token}.
 *
 * <p>Thread-safety: immutable; {@link #render} may be called from several threads at once.
 */
public final class ChatTemplate {
    private final String source;
    private final String prepared;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    /**
     * @param source   the template text
     * @param bosToken the tokenizer's BOS string, or null (renders as empty)
     * @param eosToken the tokenizer's EOS string, or null (renders as empty)
     */
    public ChatTemplate(String source, String bosToken, String eosToken) {
        if (source == null || source.isEmpty()) {
            throw new IllegalArgumentException("chat template is empty");
        }
        this.source = source;
        this.prepared = JinjaWhitespace.apply(source);
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                .build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition(
                "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
    }

    public String source() {
        return source;
    }

    /**
     * Renders the conversation. A template that calls {@code raise_exception} (roles out of order,
     * an unsupported role) or fails to render throws {@link ChatTemplateException} with its message.
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> turns = new java.util.ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", m.content());
            turns.add(turn);
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", turns);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", bosToken == null ? "" : bosToken);
        bindings.put("eos_token", eosToken == null ? "" : eosToken);
        RenderResult result;
        try {
            result = jinjava.renderForResult(prepared, bindings);
        } catch (RaisedException e) {
            throw new ChatTemplateException(e.getMessage());
        }
        for (TemplateError error : result.getErrors()) {
            RaisedException raised = raisedCause(error.getException());
            if (raised != null) {
                throw new ChatTemplateException(raised.getMessage());
            }
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException("chat template failed at line " + error.getLineno() + ": "
                        + error.getMessage());
            }
        }
        return result.getOutput();
    }

    /** The template function {@code raise_exception(msg)}; public for Jinjava's reflection only. */
    public static String raiseException(String message) {
        throw new RaisedException(message);
    }

    private static RaisedException raisedCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof RaisedException) {
                return (RaisedException) c;
            }
        }
        return null;
    }

    /** Thrown inside Jinjava by {@code raise_exception}; surfaces as {@link ChatTemplateException}. */
    private static final class RaisedException extends RuntimeException {
        RaisedException(String message) {
            super(message, null, false, false);
        }
    }
}
