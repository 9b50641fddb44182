package dev.mirrorsd.specbench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.mirrorsd.specbench.Answers.answer;
import static dev.mirrorsd.specbench.Answers.question;
import static dev.mirrorsd.specbench.Answers.turn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A peer's answer files beside ours: per-task speeds, their ratio, tau, and the token equality check. */
class PeerComparisonTest {
    @TempDir
    Path dir;

    /** A peer directory as tools/peers writes it: two methods, questions 1 (qa) and 2 (translation). */
    private Path peerDirectory() throws IOException {
        Path peer = Files.createDirectories(dir.resolve("peer"));
        Files.writeString(peer.resolve("peer.json"), """
                {"peer": "Hugging Face transformers 5.24.0", "methods": {"hf-greedy": "autoregressive",
                 "hf-assisted": "draft"}, "machine": "2 cores", "torch_threads": 2, "max_new_tokens": 4,
                 "num_assistant_tokens": 4, "command": "tools/peers/hf_peers.py --limit 1"}
                """);
        // greedy: 4 tokens in 2 s (2 tokens/s) and 4 tokens in 1 s; its ids equal ours on question 1 only
        Files.writeString(peer.resolve("hf-greedy.jsonl"), String.join("\n",
                line(1, "qa", "[0, 1, 2, 3]", 2.0, "[1, 1, 1, 1]"),
                line(2, "translation", "[9, 9, 9, 9]", 1.0, "[1, 1, 1, 1]")) + "\n");
        // assisted: 4 tokens in 1 s, tau 2; 4 tokens in 4 s, tau 4/3
        Files.writeString(peer.resolve("hf-assisted.jsonl"), String.join("\n",
                line(1, "qa", "[0, 1, 2, 3]", 1.0, "[1, 3]"),
                line(2, "translation", "[0, 1, 2, 3]", 4.0, "[1, 2, 1]")) + "\n");
        return peer;
    }

    private static String line(int id, String category, String ids, double seconds, String acceptLengths) {
        int steps = acceptLengths.split(",").length;
        return "{\"question_id\": " + id + ", \"category\": \"" + category + "\", \"model_id\": \"m-peer\", \"choices\":"
                + " [{\"index\": 0, \"turns\": [\"text\"], \"decoding_steps\": [" + steps + "], \"new_tokens\": [4],"
                + " \"wall_time\": [" + seconds + "], \"accept_lengths\": " + acceptLengths
                + ", \"token_ids\": [" + ids + "]}]}";
    }

    /** Ours: autoregressive 4 tokens in 1 s on both; draft 4 tokens in 0.5 s (tau 4) and in 2 s (tau 2). */
    private static Map<String, List<Answer>> ours() {
        Question qa = question(1, "qa", 1);
        Question translation = question(2, "translation", 1);
        Map<String, List<Answer>> answers = new LinkedHashMap<>();
        answers.put("autoregressive", List.of(answer(qa, "autoregressive", turn(4, 1.0, 1, 1, 1, 1)),
                answer(translation, "autoregressive", turn(4, 1.0, 1, 1, 1, 1))));
        answers.put("draft", List.of(answer(qa, "draft", turn(4, 0.5, 1, 3)),
                answer(translation, "draft", turn(4, 2.0, 1, 3))));
        return answers;
    }

    private static PeerComparison.Row row(PeerComparison c, String task, String peerMethod) {
        return c.rows().stream().filter(r -> r.task().equals(task) && r.peerMethod().equals(peerMethod))
                .findFirst().orElseThrow(() -> new AssertionError(task + " " + peerMethod + " in " + c.rows()));
    }

    @Test
    void shouldPutThePeersSpeedAndTauBesideOursPerTaskWithTheRatio() throws IOException {
        PeerComparison c = PeerComparison.of(Peer.read(peerDirectory()), ours());
        PeerComparison.Row assistedQa = row(c, "qa", "hf-assisted");
        assertEquals("draft", assistedQa.ourMethod());
        assertEquals(8.0, assistedQa.ourTokensPerSecond(), 1e-9);
        assertEquals(4.0, assistedQa.peerTokensPerSecond(), 1e-9);
        assertEquals(2.0, assistedQa.ratio(), 1e-9);
        assertEquals(2.0, assistedQa.ourMeanAcceptedTokens(), 1e-9);
        assertEquals(2.0, assistedQa.peerMeanAcceptedTokens(), 1e-9);
        PeerComparison.Row assistedAll = row(c, "overall", "hf-assisted");
        assertEquals(2, assistedAll.questions());
        assertEquals((8.0 + 2.0) / 2, assistedAll.ourTokensPerSecond(), 1e-9);
        assertEquals((4.0 + 1.0) / 2, assistedAll.peerTokensPerSecond(), 1e-9);
        assertEquals(8.0 / 5, assistedAll.peerMeanAcceptedTokens(), 1e-9); // 8 tokens over 5 steps
        assertEquals(2.0, row(c, "qa", "hf-greedy").ratio(), 1e-9); // ours 4 tokens/s, the peer 2
        // greedy differs on question 2; assisted equals on both: 3 of 4 turns
        assertEquals(4, c.comparedTurns());
        assertEquals(3, c.equalTurns());
        assertTrue(c.unpaired().isEmpty());
    }

    @Test
    void shouldWriteThePeerIntoEveryReport() throws IOException {
        Map<String, List<Answer>> answers = ours();
        RunSettings settings = new RunSettings("m", "q.jsonl", List.of("autoregressive", "draft"), 4, 4, 0, 1, 0,
                List.of(), "2 cores", "");
        SpecBenchReport report = SpecBenchReport.of(settings, answers).withPeer(Peer.read(peerDirectory()), answers);
        Path out = dir.resolve("report");
        report.write(out, answers);
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("## Beside the peer: Hugging Face transformers 5.24.0"), md);
        assertTrue(md.contains("| qa | draft | hf-assisted | 1 | 8.00 | 4.00 | 2.00x | 2.00 | 2.00 |"), md);
        assertTrue(md.contains("3 of 4 turns"), md);
        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("report.json"))).getAsJsonObject();
        assertEquals(6, json.getAsJsonObject("peer").getAsJsonArray("rows").size()); // 2 tasks + overall, 2 methods
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("Tokens/s, ours beside the peer") && html.contains("peer: hf-assisted"), html);
    }

    @Test
    void aPeerMethodWithoutItsCounterpartShouldBeListedNotCompared() throws IOException {
        Map<String, List<Answer>> answers = new LinkedHashMap<>(ours());
        answers.remove("draft");
        PeerComparison c = PeerComparison.of(Peer.read(peerDirectory()), answers);
        assertEquals(List.of("hf-assisted"), c.unpaired());
        assertTrue(c.rows().stream().allMatch(r -> r.peerMethod().equals("hf-greedy")));
    }

    @Test
    void aMalformedPeerLineShouldNameItsFileAndLine() throws IOException {
        Path peer = peerDirectory();
        Files.writeString(peer.resolve("hf-greedy.jsonl"), line(1, "qa", "[0]", 1.0, "[1]") + "\n{\"question_id\": 2}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Peer.read(peer));
        assertTrue(e.getMessage().contains("hf-greedy.jsonl line 2"), e.getMessage());
    }

    @Test
    void aPeerThatIsNotTorchShouldNameItsThreadsPlainly() throws IOException {
        Path peer = peerDirectory();
        Files.writeString(peer.resolve("peer.json"), """
                {"peer": "llama.cpp (llama-cpp-python 0.3.36)", "methods": {"hf-greedy": "autoregressive"},
                 "machine": "2 cores", "threads": 1, "max_new_tokens": 4, "num_assistant_tokens": 4, "command": "c"}
                """);
        String description = Peer.read(peer).description();
        assertTrue(description.contains("; threads 1;") && !description.contains("torch"), description);
        assertTrue(Peer.read(peerDirectory()).description().contains("torch threads 2"));
    }

    @Test
    void aDirectoryWithoutPeerJsonShouldBeRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Peer.read(dir));
        assertTrue(e.getMessage().contains("peer.json"), e.getMessage());
    }

    @Test
    void ourOwnAnswerFilesShouldReadBackAsWritten() throws IOException {
        List<Answer> written = ours().get("draft");
        Path file = dir.resolve("draft.jsonl");
        AnswerFile.write(file, "m", written);
        List<Answer> read = AnswerFile.read(file, "draft");
        assertEquals(2, read.size());
        assertEquals(SpeedReport.meanTokensPerSecond(written), SpeedReport.meanTokensPerSecond(read), 1e-12);
        assertEquals(SpeedReport.meanAcceptedTokens(written), SpeedReport.meanAcceptedTokens(read), 1e-12);
        assertEquals("translation", read.get(1).question().category());
    }
}
