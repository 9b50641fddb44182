package dev.mirrorsd.specbench;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.sampling.SamplingConfig;
import dev.mirrorsd.draft.DraftCheckpoint;
import dev.mirrorsd.pipeline.DraftOptions;
import dev.mirrorsd.pipeline.GenerationConfig;
import dev.mirrorsd.pipeline.Generators;
import dev.mirrorsd.pipeline.Strategy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The soak's mix on the default models: the target on DJL and the project's draft twice, on DJL and
 * on ONNX Runtime, shared by generators of every strategy; each strategy greedy and with seeded
 * sampling. One target instance serves them all, as a server would hold it.
 *
 * @param workloads what the soak cycles through
 * @param models the DJL models whose native arrays the soak counts
 */
public record SoakModels(List<NativeMemorySoak.Workload> workloads, List<CausalLM> models, CausalLM onnxDraft,
                         Checkpoint checkpoint) implements AutoCloseable {

    /** Loads the target file and the project's draft directory; {@code maxNewTokens} per generation. */
    public static SoakModels load(Path target, Path draftDir, int maxNewTokens, int exitLayer) {
        Checkpoint checkpoint = Checkpoint.open(target);
        DraftCheckpoint draft = DraftCheckpoint.load(draftDir, checkpoint.weights());
        CausalLM djlDraft = Engines.load(ModelSource.of(draft.weights()), "pytorch:cpu");
        CausalLM onnxDraft = Engines.load(DraftCheckpoint.source(draftDir, checkpoint.weights()), DeviceId.parse("onnxruntime:cpu"), 1);
        // the target last: loading it releases the host copy of its layers
        CausalLM targetModel = Engines.load(ModelSource.of(checkpoint.weights()), "pytorch:cpu");
        DraftOptions djl = DraftOptions.defaults().withExitLayer(exitLayer)
                .withDraft(djlDraft, null, draft.draftToTarget());
        DraftOptions onnx = djl.withDraft(onnxDraft, null, draft.draftToTarget());
        GenerationConfig greedy = GenerationConfig.defaults().withMaxNewTokens(maxNewTokens).withNumAssistantTokens(3);
        GenerationConfig sampled = greedy.withSampling(new SamplingConfig(true, 0.8f, 40, 0.9f, 1.0f, 7L));
        List<NativeMemorySoak.Workload> workloads = new ArrayList<>();
        for (GenerationConfig config : List.of(greedy, sampled)) {
            String mode = config == greedy ? "greedy" : "sampled";
            for (Strategy strategy : List.of(Strategy.AUTOREGRESSIVE, Strategy.DRAFT, Strategy.PROMPT_LOOKUP,
                    Strategy.EARLY_EXIT, Strategy.STREAMING, Strategy.MIRROR)) {
                workloads.add(new NativeMemorySoak.Workload(strategy + " (pytorch) " + mode, Generators.build(strategy,
                        targetModel, checkpoint.tokenizer(), checkpoint.chatTemplate(), djl), config));
            }
            for (Strategy strategy : List.of(Strategy.DRAFT, Strategy.STREAMING)) {
                workloads.add(new NativeMemorySoak.Workload(strategy + " (draft on onnxruntime) " + mode,
                        Generators.build(strategy, targetModel, checkpoint.tokenizer(), checkpoint.chatTemplate(), onnx),
                        config));
            }
        }
        return new SoakModels(List.copyOf(workloads), List.of(targetModel, djlDraft), onnxDraft, checkpoint);
    }

    /**
     * The first {@code count} (at most 8) of some short prompts of several kinds (a question, a list,
     * code, repetition for prompt lookup), as token ids without the chat template: the soak is about
     * memory, and a short prefill leaves more of its time to the decoding loops.
     */
    public List<int[]> prompts(int count) {
        List<String> texts = List.of("The capital of France is", "Three primary colours are red,",
                "one two three, one two three, one two", "def fibonacci(n):\n    if n < 2:",
                "The sea was calm and the sky", "Good morning in German is", "The sky is blue because",
                "A prime number larger than ten is");
        return texts.subList(0, Math.min(count, texts.size())).stream()
                .map(text -> checkpoint.tokenizer().encode(text)).toList();
    }

    /** Closes the models once: the generators share them. */
    @Override
    public void close() {
        for (CausalLM model : models) {
            model.close();
        }
        onnxDraft.close();
        checkpoint.tokenizer().close();
    }
}
