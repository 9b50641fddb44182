package dev.mirrorsd.cli;

import dev.mirrorsd.core.model.PrefillProgress;

import java.io.PrintStream;

/**
 * A long prompt's prefill progress as one line of a stream (stderr), rewritten in place after each
 * chunk and ended when the whole prompt is in: a prompt of thousands of tokens takes seconds to
 * minutes on a CPU before the first token shows.
 */
final class PrefillMeter implements PrefillProgress.Listener {
    private final PrintStream out;

    PrefillMeter(PrintStream out) {
        this.out = out;
    }

    @Override
    public void fed(int fed, int total) {
        out.print("\rprefill " + fed + "/" + total + " tokens");
        if (fed == total) {
            out.println();
        }
        out.flush();
    }
}
