package dev.mirrorsd.specbench.profile;

import com.google.gson.stream.JsonWriter;
import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;

import java.io.IOException;
import java.io.Writer;
import java.util.Locale;

/**
 * A {@link SpanTimeline} in the Chrome trace-event JSON format, which Perfetto (ui.perfetto.dev)
 * and chrome://tracing open: one process, one thread track per lane ("target", "draft"), each span a
 * complete event ({@code "ph": "X"}) named after its phase, each commit an instant event
 * ({@code "ph": "i"}) on the target's track with its token count. Times are microseconds (with
 * nanosecond decimals) from the earliest recorded moment.
 */
public final class ChromeTrace {
    static final int PID = 1;

    private ChromeTrace() {
    }

    /** The track of a lane: tid 1 for the target, 2 for the draft. */
    static int tid(Lane lane) {
        return lane.ordinal() + 1;
    }

    /** Writes the trace; {@code title} names the process track (e.g. the strategy). */
    public static void write(SpanTimeline timeline, String title, Writer out) throws IOException {
        Lane[] lanes = Lane.values();
        long[][] spans = new long[lanes.length][];
        long origin = Long.MAX_VALUE;
        for (Lane lane : lanes) {
            spans[lane.ordinal()] = timeline.spans(lane);
            for (int i = 0; i < spans[lane.ordinal()].length; i += 3) {
                origin = Math.min(origin, spans[lane.ordinal()][i + 1]);
            }
        }
        long[] commits = timeline.commits();
        for (int i = 0; i < commits.length; i += 2) {
            origin = Math.min(origin, commits[i]);
        }
        Phase[] phases = Phase.values();
        JsonWriter json = new JsonWriter(out);
        json.beginObject();
        json.name("displayTimeUnit").value("ms");
        json.name("traceEvents").beginArray();
        metadata(json, "process_name", 0, "name", title);
        for (Lane lane : lanes) {
            metadata(json, "thread_name", tid(lane), "name", LatencyProfile.label(lane));
            json.beginObject().name("name").value("thread_sort_index").name("ph").value("M")
                    .name("pid").value(PID).name("tid").value(tid(lane))
                    .name("args").beginObject().name("sort_index").value(lane.ordinal()).endObject().endObject();
        }
        for (Lane lane : lanes) {
            long[] s = spans[lane.ordinal()];
            for (int i = 0; i < s.length; i += 3) {
                json.beginObject();
                json.name("name").value(LatencyProfile.label(phases[(int) s[i]]));
                json.name("cat").value(LatencyProfile.label(lane));
                json.name("ph").value("X");
                json.name("ts").jsonValue(micros(s[i + 1] - origin));
                json.name("dur").jsonValue(micros(Math.max(0, s[i + 2] - s[i + 1])));
                json.name("pid").value(PID);
                json.name("tid").value(tid(lane));
                json.endObject();
            }
        }
        for (int i = 0; i < commits.length; i += 2) {
            json.beginObject();
            json.name("name").value("commit");
            json.name("cat").value("tokens");
            json.name("ph").value("i");
            json.name("s").value("t");
            json.name("ts").jsonValue(micros(commits[i] - origin));
            json.name("pid").value(PID);
            json.name("tid").value(tid(Lane.TARGET));
            json.name("args").beginObject().name("tokens").value(commits[i + 1]).endObject();
            json.endObject();
        }
        json.endArray();
        json.endObject();
        json.flush();
    }

    private static void metadata(JsonWriter json, String name, int tid, String key, String value) throws IOException {
        json.beginObject().name("name").value(name).name("ph").value("M").name("pid").value(PID).name("tid").value(tid)
                .name("args").beginObject().name(key).value(value).endObject().endObject();
    }

    /** Nanoseconds as microseconds with three decimals, never in exponent notation. */
    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%d.%03d", nanos / 1000, nanos % 1000);
    }
}
