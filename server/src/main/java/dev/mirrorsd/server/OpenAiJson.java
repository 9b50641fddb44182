package dev.mirrorsd.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.mirrorsd.pipeline.FinishReason;
import dev.mirrorsd.pipeline.GenerationResult;
import dev.mirrorsd.pipeline.GenerationStats;

/** The response objects of OpenAI's chat and text completions, whole and as stream chunks. */
final class OpenAiJson {
    private final String id;
    private final long created; // seconds since the epoch
    private final String model;
    private final boolean chat;

    OpenAiJson(String id, long created, String model, boolean chat) {
        this.id = id;
        this.created = created;
        this.model = model;
        this.chat = chat;
    }

    /** The whole answer: one choice, the usage and the request's speculative statistics. */
    JsonObject completion(GenerationResult result, String strategy) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        if (chat) {
            JsonObject message = new JsonObject();
            message.addProperty("role", "assistant");
            message.addProperty("content", result.text());
            choice.add("message", message);
        } else {
            choice.addProperty("text", result.text());
        }
        choice.add("logprobs", JsonNull.INSTANCE);
        choice.addProperty("finish_reason", finishReason(result.finishReason()));
        JsonObject body = head(chat ? "chat.completion" : "text_completion");
        body.add("choices", one(choice));
        body.add("usage", usage(result.stats()));
        body.add("mirror_sd", speculation(result.stats(), strategy));
        return body;
    }

    /** A chunk carrying {@code text}; for chat the first chunk also names the role. */
    JsonObject chunk(String text, boolean first) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        if (chat) {
            JsonObject delta = new JsonObject();
            if (first) {
                delta.addProperty("role", "assistant");
            }
            delta.addProperty("content", text);
            choice.add("delta", delta);
        } else {
            choice.addProperty("text", text);
        }
        choice.add("logprobs", JsonNull.INSTANCE);
        choice.add("finish_reason", JsonNull.INSTANCE);
        JsonObject body = head(chat ? "chat.completion.chunk" : "text_completion");
        body.add("choices", one(choice));
        return body;
    }

    /** The last chunk with a choice: empty delta, the finish reason and the speculative statistics. */
    JsonObject finalChunk(GenerationResult result, String strategy) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        if (chat) {
            choice.add("delta", new JsonObject());
        } else {
            choice.addProperty("text", "");
        }
        choice.add("logprobs", JsonNull.INSTANCE);
        choice.addProperty("finish_reason", finishReason(result.finishReason()));
        JsonObject body = head(chat ? "chat.completion.chunk" : "text_completion");
        body.add("choices", one(choice));
        body.add("mirror_sd", speculation(result.stats(), strategy));
        return body;
    }

    /** {@code stream_options.include_usage}: no choices, the usage. */
    JsonObject usageChunk(GenerationStats stats) {
        JsonObject body = head(chat ? "chat.completion.chunk" : "text_completion");
        body.add("choices", new JsonArray());
        body.add("usage", usage(stats));
        return body;
    }

    private JsonObject head(String object) {
        JsonObject body = new JsonObject();
        body.addProperty("id", id);
        body.addProperty("object", object);
        body.addProperty("created", created);
        body.addProperty("model", model);
        return body;
    }

    private static JsonArray one(JsonObject choice) {
        JsonArray choices = new JsonArray();
        choices.add(choice);
        return choices;
    }

    static JsonObject usage(GenerationStats stats) {
        JsonObject usage = new JsonObject();
        usage.addProperty("prompt_tokens", stats.promptTokens());
        usage.addProperty("completion_tokens", stats.newTokens());
        usage.addProperty("total_tokens", stats.promptTokens() + stats.newTokens());
        return usage;
    }

    /** What speculation did for this request: drafted and accepted tokens, tau = mean tokens per round. */
    static JsonObject speculation(GenerationStats stats, String strategy) {
        JsonObject s = new JsonObject();
        s.addProperty("strategy", strategy);
        s.addProperty("rounds", stats.rounds());
        s.addProperty("drafted_tokens", stats.draftedTokens());
        s.addProperty("accepted_tokens", stats.acceptedTokens());
        s.addProperty("acceptance_rate", stats.acceptanceRate());
        s.addProperty("tau", stats.meanAcceptedLength());
        return s;
    }

    /** OpenAI's finish reasons; a cancelled request has no client left to read it. */
    static String finishReason(FinishReason reason) {
        return reason == FinishReason.LENGTH ? "length" : "stop";
    }
}
