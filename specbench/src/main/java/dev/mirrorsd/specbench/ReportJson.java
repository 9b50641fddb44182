package dev.mirrorsd.specbench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/** The Spec-Bench report as JSON: {@code settings}, {@code rows}, {@code equality}. */
public final class ReportJson {
    private ReportJson() {
    }

    public static String render(SpecBenchReport report) {
        RunSettings s = report.settings();
        JsonObject settings = new JsonObject();
        settings.addProperty("model", s.model());
        settings.addProperty("question_file", s.questionFile());
        settings.add("methods", strings(s.methods()));
        settings.addProperty("greedy", true);
        settings.addProperty("batch_size", 1);
        settings.addProperty("max_new_tokens", s.maxNewTokens());
        settings.addProperty("num_assistant_tokens", s.gamma());
        settings.addProperty("warmups", s.warmups());
        settings.addProperty("limit_per_category", s.limitPerCategory());
        settings.addProperty("limit_per_task", s.limitPerTask());
        settings.add("categories", strings(s.categories()));
        settings.addProperty("machine", s.machine());
        settings.addProperty("command", s.command());
        JsonArray rows = new JsonArray();
        for (TaskSpeed row : report.rows()) {
            JsonObject json = new JsonObject();
            json.addProperty("task", row.task());
            json.addProperty("method", row.method());
            json.addProperty("questions", row.questions());
            json.addProperty("mean_accepted_tokens", row.meanAcceptedTokens());
            json.addProperty("tokens_per_second", row.tokensPerSecond());
            json.addProperty("speedup", row.speedup());
            json.addProperty("hit_rate", row.hitRate()); // null until mirror measures it
            rows.add(json);
        }
        JsonArray mismatches = new JsonArray();
        for (GreedyEquality.Mismatch m : report.mismatches()) {
            JsonObject json = new JsonObject();
            json.addProperty("method", m.method());
            json.addProperty("question_id", m.questionId());
            json.addProperty("turn", m.turn());
            json.addProperty("first_difference", m.firstDifference());
            json.addProperty("detail", m.detail());
            mismatches.add(json);
        }
        JsonObject equality = new JsonObject();
        equality.addProperty("passed", report.equalityPassed());
        equality.add("mismatches", mismatches);
        JsonObject json = new JsonObject();
        json.add("settings", settings);
        json.add("rows", rows);
        json.add("equality", equality);
        json.add("peer", report.peer() == null ? null : peer(report.peer()));
        return new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create().toJson(json);
    }

    private static JsonObject peer(PeerComparison peer) {
        JsonArray rows = new JsonArray();
        for (PeerComparison.Row row : peer.rows()) {
            JsonObject json = new JsonObject();
            json.addProperty("task", row.task());
            json.addProperty("method", row.ourMethod());
            json.addProperty("peer_method", row.peerMethod());
            json.addProperty("questions", row.questions());
            json.addProperty("tokens_per_second", row.ourTokensPerSecond());
            json.addProperty("peer_tokens_per_second", row.peerTokensPerSecond());
            json.addProperty("ratio", row.ratio());
            json.addProperty("mean_accepted_tokens", row.ourMeanAcceptedTokens());
            json.addProperty("peer_mean_accepted_tokens", row.peerMeanAcceptedTokens());
            rows.add(json);
        }
        JsonObject json = new JsonObject();
        json.addProperty("name", peer.peer());
        json.addProperty("description", peer.description());
        json.addProperty("equal_turns", peer.equalTurns());
        json.addProperty("compared_turns", peer.comparedTurns());
        json.add("unpaired", strings(peer.unpaired()));
        json.add("rows", rows);
        return json;
    }

    private static JsonArray strings(Iterable<String> values) {
        JsonArray array = new JsonArray();
        values.forEach(array::add);
        return array;
    }
}
