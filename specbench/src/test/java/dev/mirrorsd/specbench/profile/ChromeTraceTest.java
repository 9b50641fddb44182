package dev.mirrorsd.specbench.profile;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The timeline is valid Chrome trace-event JSON (the JSON object format of the Trace Event Format
 * document that Perfetto and chrome://tracing read) and holds exactly the recorded spans.
 */
class ChromeTraceTest {
    private static final Set<String> PHASE_TYPES = Set.of("X", "M", "i");

    /**
     * Checks every event against the format: name, ph, pid, tid always; X events a string cat and
     * numeric ts and dur >= 0; instant events ts and a scope; metadata events an args object. Returns
     * the events.
     */
    static JsonArray validate(String trace) {
        JsonObject root = JsonParser.parseString(trace).getAsJsonObject();
        assertTrue(root.get("traceEvents").isJsonArray(), "traceEvents must be an array");
        if (root.has("displayTimeUnit")) {
            assertTrue(Set.of("ms", "ns").contains(root.get("displayTimeUnit").getAsString()));
        }
        JsonArray events = root.getAsJsonArray("traceEvents");
        for (JsonElement element : events) {
            JsonObject e = element.getAsJsonObject();
            String ph = string(e, "ph");
            assertTrue(PHASE_TYPES.contains(ph), "unexpected ph " + ph);
            string(e, "name");
            integer(e, "pid");
            integer(e, "tid");
            switch (ph) {
                case "X" -> {
                    string(e, "cat");
                    assertTrue(number(e, "ts") >= 0, e.toString());
                    assertTrue(number(e, "dur") >= 0, e.toString());
                }
                case "i" -> {
                    assertTrue(number(e, "ts") >= 0, e.toString());
                    assertTrue(Set.of("g", "p", "t").contains(string(e, "s")), e.toString());
                }
                case "M" -> assertTrue(e.get("args").isJsonObject(), e.toString());
                default -> fail(ph);
            }
        }
        return events;
    }

    private static String string(JsonObject e, String key) {
        assertTrue(e.has(key) && e.get(key).isJsonPrimitive() && e.get(key).getAsJsonPrimitive().isString(),
                "'" + key + "' must be a string in " + e);
        return e.get(key).getAsString();
    }

    private static double number(JsonObject e, String key) {
        assertTrue(e.has(key) && e.get(key).isJsonPrimitive() && e.get(key).getAsJsonPrimitive().isNumber(),
                "'" + key + "' must be a number in " + e);
        return e.get(key).getAsDouble();
    }

    private static long integer(JsonObject e, String key) {
        double value = number(e, key);
        assertEquals(Math.rint(value), value, "'" + key + "' must be an integer in " + e);
        return (long) value;
    }

    private static String write(SpanTimeline timeline) throws IOException {
        StringWriter out = new StringWriter();
        ChromeTrace.write(timeline, "mirror-sd test", out);
        return out.toString();
    }

    @Test
    void shouldWriteEveryPhaseOfBothLanesAsValidCompleteEvents() throws IOException {
        SpanTimeline timeline = new SpanTimeline();
        long t = 7_000_000_000L;
        for (Lane lane : Lane.values()) {
            for (Phase phase : Phase.values()) {
                timeline.span(lane, phase, t, t + 1_234_567);
                t += 2_000_000;
            }
        }
        timeline.tokens(t, 3);
        JsonArray events = validate(write(timeline));
        Map<Long, String> threadNames = new HashMap<>();
        int complete = 0;
        double firstTs = Double.MAX_VALUE;
        for (JsonElement element : events) {
            JsonObject e = element.getAsJsonObject();
            switch (e.get("ph").getAsString()) {
                case "M" -> {
                    if (e.get("name").getAsString().equals("thread_name")) {
                        threadNames.put(e.get("tid").getAsLong(), e.getAsJsonObject("args").get("name").getAsString());
                    }
                }
                case "X" -> {
                    complete++;
                    assertEquals(1234.567, e.get("dur").getAsDouble(), 1e-9);
                    firstTs = Math.min(firstTs, e.get("ts").getAsDouble());
                    String lane = e.get("cat").getAsString();
                    assertEquals(lane, threadNames.get(e.get("tid").getAsLong()), "a span sits on its lane's track");
                }
                case "i" -> assertEquals(3, e.getAsJsonObject("args").get("tokens").getAsInt());
                default -> { }
            }
        }
        assertEquals(Map.of(1L, "target", 2L, "draft"), threadNames);
        assertEquals(2 * Phase.values().length, complete);
        assertEquals(0.0, firstTs, "time starts at the earliest moment recorded");
        assertTrue(write(timeline).contains("\"name\":\"branch rollout\""));
    }

    @Test
    void shouldKeepEverySpanPastTheInitialBuffer() throws IOException {
        SpanTimeline timeline = new SpanTimeline();
        int spans = 3 * SpanTimeline.INITIAL_SPANS + 5;
        for (int i = 0; i < spans; i++) {
            timeline.span(Lane.DRAFT, Phase.DRAFT, 1_000L * i, 1_000L * i + 500);
        }
        assertEquals(spans, timeline.spanCount(Lane.DRAFT));
        JsonArray events = validate(write(timeline));
        long complete = events.asList().stream().filter(e -> e.getAsJsonObject().get("ph").getAsString().equals("X")).count();
        assertEquals(spans, complete);
        // the last span keeps its time: (spans - 1) microseconds after the first
        JsonObject last = events.get(events.size() - 1).getAsJsonObject();
        assertEquals(spans - 1, last.get("ts").getAsDouble(), 1e-9);
    }

    @Test
    void anEmptyTimelineShouldStillBeAValidTrace() throws IOException {
        JsonArray events = validate(write(new SpanTimeline()));
        assertTrue(events.asList().stream().allMatch(e -> e.getAsJsonObject().get("ph").getAsString().equals("M")));
    }
}
