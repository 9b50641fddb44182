package dev.mirrorsd.cli;

import dev.mirrorsd.core.model.PrefillProgress;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PrefillMeterTest {

    @Test
    void shouldRewriteOneLineAndEndItWhenThePromptIsIn() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrefillProgress.Listener meter = new PrefillMeter(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        meter.fed(256, 549);
        meter.fed(293, 549);
        assertEquals("\rprefill 256/549 tokens\rprefill 293/549 tokens", bytes.toString(StandardCharsets.UTF_8));
        meter.fed(549, 549);
        assertEquals("\rprefill 256/549 tokens\rprefill 293/549 tokens\rprefill 549/549 tokens" + System.lineSeparator(),
                bytes.toString(StandardCharsets.UTF_8));
    }
}
