package dev.mirrorsd.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mirror's named options ({@code --on-miss}, {@code --wait-policy}) are read before any model loads:
 * a misspelt value is refused with the valid ones, and the target path (which does not exist) is
 * not what the error names.
 */
class MirrorOptionsCommandTest {
    @TempDir
    Path dir;

    private String[] refused(String option, String value) {
        Object[] result = CliRun.run("generate", "--prompt", "hi", "--target", dir.resolve("none.gguf").toString(),
                "--strategy", "mirror", option, value);
        return new String[] {String.valueOf(result[0]), (String) result[1]};
    }

    @Test
    void shouldRefuseAnUnknownMissPolicyNamingTheValidOnes() {
        String[] result = refused("--on-miss", "sometimes");
        assertEquals("2", result[0]);
        assertTrue(result[1].contains("unknown miss policy 'sometimes'; valid: redraft, target-step"), result[1]);
        assertTrue(!result[1].contains("none.gguf"), result[1]);
    }

    @Test
    void shouldRefuseAnUnknownWaitPolicyNamingTheValidOnes() {
        String[] result = refused("--wait-policy", "nap");
        assertEquals("2", result[0]);
        assertTrue(result[1].contains("unknown wait policy 'nap'; valid: busy-spin, yielding, blocking"), result[1]);
    }
}
