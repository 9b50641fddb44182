package dev.mirrorsd.cli;

import dev.mirrorsd.specbench.NativeMemorySoak;
import dev.mirrorsd.specbench.SoakModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code mirror-sd soak}: thousands of generations of every strategy, the draft on DJL and on ONNX
 * Runtime, with resident memory and native allocations read after warm-up and at the end.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Native memory soak: many generations of mixed strategies and engines; fails if memory grows.")
final class SoakCommand implements Callable<Integer> {

    @Mixin
    ModelOptions models;

    @Option(names = "--generations", defaultValue = "2000", description = "Measured generations (default ${DEFAULT-VALUE}).")
    int generations;

    @Option(names = "--max-new-tokens", defaultValue = "4", description = "Tokens per generation (default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--prompts", defaultValue = "8", description = "Short prompts cycled through, at most 8 (default ${DEFAULT-VALUE}).")
    int prompts;

    @Option(names = "--max-growth", defaultValue = "0.05", description = "Largest resident memory growth after"
            + " warm-up that passes (default ${DEFAULT-VALUE} = 5%%).")
    double maxGrowth;

    @Override
    public Integer call() {
        try (SoakModels loaded = SoakModels.load(models.targetPath(), models.draftPath(), maxNewTokens, models.exitLayer)) {
            System.out.printf(Locale.ROOT, "soak: %d workloads (%s), %d prompts, %d new tokens each%n",
                    loaded.workloads().size(), loaded.workloads().stream().map(NativeMemorySoak.Workload::name).toList(),
                    prompts, maxNewTokens);
            NativeMemorySoak.Result result = NativeMemorySoak.run(loaded.workloads(), loaded.prompts(prompts),
                    loaded.models(), generations, Math.max(1, generations / 20), System.out);
            System.out.println(result.report());
            boolean leaked = result.end().djlArrays() != result.start().djlArrays();
            boolean grew = result.residentGrowth() >= maxGrowth;
            System.out.printf(Locale.ROOT, "soak: %s%n", leaked ? "FAIL: DJL arrays leaked"
                    : grew ? "FAIL: resident memory grew past " + 100 * maxGrowth + "%" : "pass");
            return leaked || grew ? 1 : 0;
        }
    }
}
