package dev.mirrorsd.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --target-graphs} / {@code --draft-graphs} go with a plan that puts that model on aoti, and a
 * mismatch is refused before any device is probed or model loaded (the target path does not exist,
 * so a later error would name it).
 */
class CompiledGraphsOptionsTest {
    @TempDir
    Path dir;

    private Object[] generate(String... extra) {
        String[] args = new String[extra.length + 5];
        args[0] = "generate";
        args[1] = "--prompt";
        args[2] = "hi";
        args[3] = "--target";
        args[4] = dir.resolve("none.gguf").toString();
        System.arraycopy(extra, 0, args, 5, extra.length);
        return CliRun.run(args);
    }

    @Test
    void shouldAskForTheTargetsGraphsWhenThePlanPutsItOnAoti() {
        Object[] result = generate("--strategy", "autoregressive", "--plan", "target=aoti:gpu0,draft=aoti:gpu1");
        assertEquals(2, result[0]);
        String err = (String) result[1];
        assertTrue(err.contains("--target-graphs") && err.contains("export_aoti.py") && !err.contains("none.gguf"), err);
    }

    @Test
    void shouldAskForTheDraftsGraphsOnlyWhenTheStrategyRunsADraft() {
        String plan = "target=aoti:gpu0,draft=aoti:gpu1";
        Object[] mirror = generate("--strategy", "mirror", "--plan", plan, "--target-graphs", dir.toString());
        assertEquals(2, mirror[0]);
        assertTrue(((String) mirror[1]).contains("--draft-graphs"), (String) mirror[1]);
        // autoregressive needs no draft, and ignores the draft's graphs as it ignores --draft: past the graph
        // check, the missing GPU or target is the next error
        Object[] alone = generate("--strategy", "autoregressive", "--plan", plan, "--target-graphs", dir.toString());
        assertTrue(!((String) alone[1]).contains("-graphs"), (String) alone[1]);
        Object[] ignored = generate("--strategy", "autoregressive", "--plan", plan, "--target-graphs", dir.toString(),
                "--draft-graphs", dir.toString());
        assertTrue(!((String) ignored[1]).contains("-graphs"), (String) ignored[1]);
    }

    @Test
    void shouldRefuseGraphsForAModelThePlanDoesNotPutOnAoti() {
        Object[] noPlan = generate("--strategy", "autoregressive", "--target-graphs", dir.toString());
        assertEquals(2, noPlan[0]);
        assertTrue(((String) noPlan[1]).contains("--target-graphs is for a target on an engine that loads an export (aoti)"), (String) noPlan[1]);
        Object[] cpuDraft = generate("--strategy", "draft", "--plan", "target=pytorch:cpu,draft=pytorch:cpu",
                "--draft-graphs", dir.toString());
        assertEquals(2, cpuDraft[0]);
        assertTrue(((String) cpuDraft[1]).contains("pytorch:cpu"), (String) cpuDraft[1]);
    }
}
