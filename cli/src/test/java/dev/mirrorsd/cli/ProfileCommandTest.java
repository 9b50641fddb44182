package dev.mirrorsd.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.testing.SmolLM2Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mirror-sd profile}: every file from a short run on the default target, and bad input refused. */
class ProfileCommandTest {
    @TempDir
    Path dir;

    /** Exit status and stderr of one run. */
    private static Object[] run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void shouldWriteEveryHistogramTheTraceAndTheReportsForTheDraftStrategy() throws IOException {
        Path output = dir.resolve("profile");
        Object[] result = run("profile", "What is the capital of France?", "--target", SmolLM2Target.require().toString(),
                "--draft", Path.of("..", "models", "draft").toString(), "--strategy", "draft", "--max-new-tokens", "6",
                "--runs", "1", "--warmups", "0", "--overhead", "--no-progress", "--output", output.toString());
        assertEquals(0, result[0], (String) result[1]);
        Set<String> files;
        try (Stream<Path> listing = Files.list(output)) {
            files = listing.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
        assertTrue(files.containsAll(List.of("ttft.hgrm", "itl.hgrm", "target.prefill.hgrm", "target.target_forward.hgrm",
                "target.verify.hgrm", "draft.draft.hgrm", "trace.json", "profile.md", "profile.json")), files.toString());
        assertTrue(Files.readString(output.resolve("ttft.hgrm")).contains("#[Mean"), "an HdrHistogram distribution");

        JsonObject profile = JsonParser.parseString(Files.readString(output.resolve("profile.json"))).getAsJsonObject();
        JsonObject totals = profile.getAsJsonObject("totals");
        int tokens = totals.get("tokens").getAsInt();
        assertTrue(tokens >= 1 && tokens <= 6, "tokens " + tokens);
        assertTrue(totals.get("verify_share_of_rounds").getAsDouble() > 0);
        assertEquals(1, profile.getAsJsonObject("overhead").get("pairs").getAsInt());
        long ttftCount = profile.getAsJsonArray("series").asList().stream().map(e -> e.getAsJsonObject())
                .filter(s -> s.get("name").getAsString().equals("time to first token"))
                .findFirst().orElseThrow().get("count").getAsLong();
        assertEquals(1, ttftCount, "one profiled request");

        JsonArray events = JsonParser.parseString(Files.readString(output.resolve("trace.json"))).getAsJsonObject()
                .getAsJsonArray("traceEvents");
        Set<String> lanes = events.asList().stream().map(e -> e.getAsJsonObject())
                .filter(e -> e.get("ph").getAsString().equals("X")).map(e -> e.get("cat").getAsString())
                .collect(Collectors.toSet());
        assertEquals(Set.of("target", "draft"), lanes);
        assertTrue(Files.readString(output.resolve("profile.md")).contains("| target: verify |"));
    }

    @Test
    void aMirrorRunShouldSplitTheTargetsForwardAndFillBothLanes() throws IOException {
        Path output = dir.resolve("mirror");
        Object[] result = run("profile", "What is the capital of France?", "--target", SmolLM2Target.require().toString(),
                "--draft", Path.of("..", "models", "draft").toString(), "--strategy", "mirror", "--max-new-tokens", "6",
                "--runs", "1", "--warmups", "0", "--no-progress", "--output", output.toString());
        assertEquals(0, result[0], (String) result[1]);
        assertTrue(Files.isRegularFile(output.resolve("target.target_prefix.hgrm")));
        assertTrue(Files.isRegularFile(output.resolve("target.target_suffix.hgrm")));
        JsonArray events = JsonParser.parseString(Files.readString(output.resolve("trace.json"))).getAsJsonObject()
                .getAsJsonArray("traceEvents");
        Set<String> names = events.asList().stream().map(e -> e.getAsJsonObject())
                .filter(e -> e.get("ph").getAsString().equals("X"))
                .map(e -> e.get("cat").getAsString() + ":" + e.get("name").getAsString()).collect(Collectors.toSet());
        assertTrue(names.containsAll(List.of("target:target prefix", "target:target suffix", "target:verify")), names.toString());
        assertTrue(names.stream().anyMatch(n -> n.startsWith("draft:")), names.toString());
    }

    @Test
    void shouldListTheValidStrategiesForAnUnknownOne() {
        Object[] result = run("profile", "hi", "--strategy", "medusa", "--target", dir.resolve("none.gguf").toString());
        assertEquals(2, result[0]);
        String err = (String) result[1];
        assertTrue(err.contains("medusa") && err.contains("prompt-lookup") && err.contains("streaming"), err);
    }

    @Test
    void shouldRefuseAPromptTogetherWithSpecBenchQuestions() {
        Object[] result = run("profile", "hi", "--limit", "1", "--target", dir.resolve("none.gguf").toString());
        assertEquals(2, result[0]);
        assertTrue(((String) result[1]).contains("not both"), (String) result[1]);
    }

    @Test
    void shouldRefuseZeroRunsBeforeLoadingAModel() {
        Object[] result = run("profile", "--runs", "0", "--target", dir.resolve("none.gguf").toString());
        assertEquals(2, result[0]);
        String err = (String) result[1];
        assertTrue(err.contains("--runs") && !err.contains("none.gguf"), err);
    }
}
