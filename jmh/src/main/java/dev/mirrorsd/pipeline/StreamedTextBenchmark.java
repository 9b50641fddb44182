package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.testing.SmolLM2Target;
import dev.mirrorsd.core.tokenizer.TextTokenizer;
import dev.mirrorsd.pipeline.profile.Profiler;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A request's streamed text: {@code tokens} generated tokens committed one at a time through
 * {@link CommittedOutput} (incremental detokenization, stop-string checks) with the default target's
 * tokenizer, as an autoregressive decode commits them. In {@code dev.mirrorsd.pipeline} because
 * {@code CommittedOutput} is package-private there.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(1)
public class StreamedTextBenchmark {

    @Param({"256", "2048"})
    public int tokens;

    @Param({"false", "true"})
    public boolean stopStrings;

    private TextTokenizer tokenizer;
    private ModelConfig model;
    private GenerationConfig config;
    private int[] ids;
    private final int[] prompt = {1};
    private final int[] one = new int[1];

    @Setup
    public void setUp() {
        // where scripts/fetch-models.sh puts it (SmolLM2Target.require() would need JUnit here)
        String dir = System.getProperty("mirrorsd.models", "");
        Path models = dir.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "mirror-sd") : Path.of(dir);
        Checkpoint checkpoint = Checkpoint.open(models.resolve(SmolLM2Target.FILE));
        tokenizer = checkpoint.tokenizer();
        model = checkpoint.config();
        ids = tokenizer.encode("The quick brown fox jumps over the lazy dog, naïve café 日本語. ".repeat(200));
        config = GenerationConfig.defaults().withMaxNewTokens(tokens).withIgnoreEos(true)
                .withStopStrings(stopStrings ? List.of("</answer>", "\n\nUser:") : List.of());
    }

    /** One whole request's commits; divide by {@code tokens} for the cost of one. */
    @Benchmark
    public String streamRequest() {
        CommittedOutput out = new CommittedOutput(tokenizer, model, config, TokenListener.NONE, prompt, Profiler.OFF);
        for (int i = 0; i < tokens; i++) {
            one[0] = ids[i];
            out.commit(one);
        }
        return out.text();
    }
}
