package dev.mirrorsd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code bin/mirror-sd}. */
@Command(name = "mirror-sd", mixinStandardHelpOptions = true, version = "mirror-sd 0.1.0",
        description = "Speculative decoding for the JVM: generate text, reproduce SpecBench, profile latency.",
        subcommands = {GenerateCommand.class, BenchCommand.class, SpecbenchCommand.class, ProfileCommand.class,
                DevicesCommand.class, SoakCommand.class, ServeCommand.class, CommandLine.HelpCommand.class})
public final class MirrorSd {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command tree with its handler of bad input: exit status 2 and one line on stderr. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new MirrorSd());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            // bad input (a missing file, an over-long prompt) is the user's to fix: one clear line
            if (e instanceof IllegalArgumentException || e instanceof dev.mirrorsd.core.model.ModelFormatException) {
                commandLine.getErr().println("error: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli;
    }
}
