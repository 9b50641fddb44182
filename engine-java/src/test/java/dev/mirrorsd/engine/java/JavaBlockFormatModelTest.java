package dev.mirrorsd.engine.java;

import dev.mirrorsd.core.format.gguf.GgufCheckpoint;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.engine.djl.DjlCausalLM;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static dev.mirrorsd.core.testing.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole models in the formats the engine widens row by row (fixtures/kquant): logits of every
 * prompt row and a greedy continuation against the DJL engine, which reads the same file widened
 * to fp32 up front. Both use core's dequantizers, which GgufKQuantTest checks against gguf-py.
 */
class JavaBlockFormatModelTest {
    private static final float TOLERANCE = 1e-3f;
    private static final int[] PROMPT = {1, 17, 200, 42, 9, 128, 77, 3, 250, 64, 5};

    @ParameterizedTest
    @ValueSource(strings = {"tiny-256.Q4_K.gguf", "tiny-256.Q5_K.gguf", "tiny-256.Q6_K.gguf", "tiny-64.Q5_0.gguf",
            "tiny-64.Q5_1.gguf", "tiny-64.F16.gguf", "tiny-64.BF16.gguf"})
    void shouldMatchTheDjlEngineOnTheSameFile(String file) {
        Path gguf = path("kquant/" + file);
        int steps = 16;
        try (JavaCausalLM java = JavaCausalLM.loadGguf(gguf, 2); DjlCausalLM djl = DjlCausalLM.load(GgufCheckpoint.load(gguf));
             Sequence a = java.newSequence(PROMPT.length + steps); Sequence b = djl.newSequence(PROMPT.length + steps)) {
            Logits la = a.forward(Window.chain(PROMPT, 0), 0);
            Logits lb = b.forward(Window.chain(PROMPT, 0), 0);
            float worst = 0;
            for (int i = 0; i < la.values().length; i++) {
                worst = Math.max(worst, Math.abs(la.values()[i] - lb.values()[i]));
            }
            assertTrue(worst < TOLERANCE, file + ": prompt logits differ by " + worst);
            int[] greedyA = new int[steps];
            int[] greedyB = new int[steps];
            int nextA = la.argmax(PROMPT.length - 1);
            int nextB = lb.argmax(PROMPT.length - 1);
            for (int i = 0; i < steps; i++) {
                greedyA[i] = nextA;
                greedyB[i] = nextB;
                nextA = a.forward(Window.chain(new int[] {nextA}, a.length()), 0).argmax(0);
                nextB = b.forward(Window.chain(new int[] {nextB}, b.length()), 0).argmax(0);
            }
            assertArrayEquals(greedyB, greedyA, file + ": greedy continuation");
        }
    }
}
