package dev.mirrorsd.core.engine;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.FeatureDraftModel;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An inference engine as a plug-in: each engine module registers one in
 * {@code META-INF/services/dev.mirrorsd.core.engine.EngineProvider}, and {@link Engines} finds it
 * through {@link java.util.ServiceLoader}. Nothing outside the engine's module names its classes.
 * Implementations are stateless and thread-safe; the native runtime loads on first use.
 */
public interface EngineProvider {

    /** The name plans use ("pytorch", "onnxruntime", "aoti"): lower case, no colon. */
    String name();

    /** Every backend the engine can place a model on, whether or not this machine has it. */
    List<Backend> backends();

    /**
     * The devices this machine offers the engine. Never throws: an engine whose native runtime does
     * not load here returns no devices and a note saying why.
     */
    Discovery discover();

    /**
     * Loads {@code source} onto {@code device}.
     *
     * @param threads intra-op threads for the model on a CPU; 0 leaves the engine's default
     * @throws IllegalArgumentException {@code device} belongs to another engine
     */
    CausalLM load(ModelSource source, DeviceId device, int threads);

    /**
     * Whether the file or folder at {@code model} is something this engine loads (a GGUF file or
     * Hugging Face folder, an ONNX export, a folder of compiled graphs), judged by its names only.
     */
    boolean accepts(Path model);

    /**
     * Loads a feature draft compiled for this engine ({@code export} is a folder {@link #accepts}
     * names), to run its steps on {@code device}; empty when {@code export} holds another model. An
     * engine that runs no feature draft on its own leaves it to the host (Java) draft.
     *
     * @throws IllegalArgumentException {@code device} belongs to another engine
     */
    default Optional<FeatureDraftModel> loadFeatureDraft(Path export, DeviceId device) {
        return Optional.empty();
    }

    /**
     * Whether a model on this engine can stop at an early-exit layer mid-window, as the target of
     * the early-exit and Mirror strategies must.
     */
    default boolean earlyExit() {
        return true;
    }

    /**
     * Whether the engine's forward passes give their hidden states ({@code ForwardPass.hiddenStates}),
     * as a target must for a draft that reads them (the feature draft).
     */
    default boolean hiddenStates() {
        return false;
    }

    /**
     * Whether a verification window of a few rows costs about one row's time when the engine runs
     * on a CPU, as measured (docs/results/cpu.md): speculation pays there even at a modest
     * acceptance rate, so the default strategy drafts. An engine whose one-row step is already
     * arithmetic-bound pays for every extra row, and says no.
     */
    default boolean cheapCpuWindows() {
        return false;
    }

    /**
     * Whether the engine loads a model exported for it (a folder of compiled graphs) rather than
     * the checkpoint itself; such a model is named apart from its checkpoint, which still gives the
     * tokenizer.
     */
    default boolean needsExport() {
        return false;
    }

    /**
     * The native library the engine loads into the process, where only one build of it can live
     * there ("libtorch"): two engines that name the same one cannot be loaded side by side.
     */
    default Optional<String> nativeRuntime() {
        return Optional.empty();
    }

    /**
     * Whether the engine's CPU thread count is process-wide, so that two models on its CPU backend
     * share one pool and the last one loaded sets its size.
     */
    default boolean sharesCpuThreads() {
        return false;
    }

    /**
     * What discovery found for one engine.
     *
     * @param accelerators the devices usable here, in the engine's order
     * @param notes        what was skipped and why (a runtime that failed to load, a provider not driven)
     */
    record Discovery(List<Accelerator> accelerators, List<String> notes) {

        public Discovery {
            accelerators = List.copyOf(accelerators);
            notes = List.copyOf(notes);
        }

        public static Discovery unavailable(String note) {
            return new Discovery(List.of(), List.of(note));
        }
    }
}
