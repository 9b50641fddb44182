package dev.mirrorsd.core.tokenizer;

/** A chat template rejected the conversation ({@code raise_exception}) or could not be rendered. */
public class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }
}
