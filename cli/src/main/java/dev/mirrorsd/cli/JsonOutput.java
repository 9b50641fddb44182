package dev.mirrorsd.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.mirrorsd.pipeline.GenerationResult;
import dev.mirrorsd.pipeline.GenerationStats;

/** {@code generate --json}: the result under the API's names, for scripts. */
final class JsonOutput {
    private JsonOutput() {
    }

    static String of(String strategy, GenerationResult result) {
        JsonObject json = new JsonObject();
        json.addProperty("strategy", strategy);
        json.addProperty("text", result.text());
        json.add("token_ids", array(result.tokenIds()));
        json.addProperty("finish_reason", result.finishReason().name().toLowerCase(java.util.Locale.ROOT));
        GenerationStats s = result.stats();
        JsonObject stats = new JsonObject();
        stats.addProperty("prompt_tokens", s.promptTokens());
        stats.addProperty("new_tokens", s.newTokens());
        stats.addProperty("rounds", s.rounds());
        stats.addProperty("drafted_tokens", s.draftedTokens());
        stats.addProperty("accepted_tokens", s.acceptedTokens());
        stats.addProperty("acceptance_rate", s.acceptanceRate());
        stats.addProperty("mean_accepted_length", s.meanAcceptedLength());
        JsonArray byPosition = new JsonArray();
        for (long n : s.acceptedByPosition()) {
            byPosition.add(n);
        }
        stats.add("accepted_by_position", byPosition);
        stats.addProperty("tokens_per_second", s.tokensPerSecond());
        stats.addProperty("time_to_first_token_ms", s.timeToFirstTokenNanos() / 1e6);
        stats.addProperty("wall_time_ms", s.wallTimeNanos() / 1e6);
        stats.addProperty("draft_failure", s.draftFailure());
        if (s.mirror() != null) {
            JsonObject mirror = new JsonObject();
            mirror.addProperty("rounds", s.mirror().rounds());
            mirror.addProperty("hits", s.mirror().hits());
            mirror.addProperty("hit_rate", s.mirror().hitRate());
            mirror.addProperty("overlap_fraction", s.mirror().overlapFraction());
            mirror.addProperty("rollout_ms", s.mirror().rolloutNanos() / 1e6);
            mirror.addProperty("proposal_wait_ms", s.mirror().proposalWaitNanos() / 1e6);
            stats.add("mirror", mirror);
        }
        json.add("stats", stats);
        return new GsonBuilder().disableHtmlEscaping().create().toJson(json);
    }

    private static JsonArray array(int[] values) {
        JsonArray array = new JsonArray();
        for (int v : values) {
            array.add(v);
        }
        return array;
    }
}
