package dev.mirrorsd.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the command line in-process, for tests of what it refuses and says. */
final class CliRun {
    private CliRun() {
    }

    /** Exit status and stderr of one run. */
    static Object[] run(String... args) {
        CommandLine cli = MirrorSd.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        int status = cli.execute(args);
        return new Object[] {status, err.toString()};
    }
}
