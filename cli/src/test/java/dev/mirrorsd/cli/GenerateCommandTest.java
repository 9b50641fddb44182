package dev.mirrorsd.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.testing.SmolLM2Target;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mirror-sd generate --json}: the Mirror strategy from the command line, with its statistics. */
class GenerateCommandTest {

    /** The one JSON object {@code generate --json} prints. */
    private static JsonObject generate(String... strategyArgs) {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int status;
        try {
            String[] common = {"generate", "Name three primary colours.", "--target", SmolLM2Target.require().toString(),
                    "--draft", Path.of("..", "models", "draft").toString(), "--max-new-tokens", "12", "--json"};
            String[] args = new String[common.length + strategyArgs.length];
            System.arraycopy(common, 0, args, 0, common.length);
            System.arraycopy(strategyArgs, 0, args, common.length, strategyArgs.length);
            CommandLine cli = MirrorSd.commandLine();
            status = cli.execute(args);
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, status);
        String out = captured.toString(StandardCharsets.UTF_8).trim();
        return JsonParser.parseString(out.substring(out.lastIndexOf("\n{") + 1)).getAsJsonObject();
    }

    @Test
    void mirrorShouldMatchAutoregressiveAndReportItsPipelines() {
        JsonObject reference = generate("--strategy", "autoregressive");
        JsonObject mirror = generate("--strategy", "mirror", "--kappa", "2", "--exit-layer", "24");
        assertEquals(reference.get("token_ids"), mirror.get("token_ids"));
        assertEquals("mirror", mirror.get("strategy").getAsString());
        JsonObject stats = mirror.getAsJsonObject("stats").getAsJsonObject("mirror");
        assertTrue(stats.get("rounds").getAsInt() > 0, stats.toString());
        double hitRate = stats.get("hit_rate").getAsDouble();
        assertTrue(hitRate >= 0 && hitRate <= 1, stats.toString());
        // without --strategy, a target on the CPU runs the fastest strategy measured there, as losslessly
        JsonObject chosen = generate();
        assertEquals("autoregressive", chosen.get("strategy").getAsString());
        assertEquals(reference.get("token_ids"), chosen.get("token_ids"));
    }
}
