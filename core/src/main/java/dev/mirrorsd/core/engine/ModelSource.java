package dev.mirrorsd.core.engine;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.weights.ModelWeights;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What an engine loads a model from. Engines that run the checkpoint's weights read
 * {@link #weights()}; engines that run an export read {@link #path()}. The weights are read on
 * first request only, so an engine that needs the path never widens them.
 */
public final class ModelSource {

    private final Path path;
    private final Supplier<ModelWeights> weights;
    private final float[] inputEmbedding;
    private ModelWeights read;

    private ModelSource(Path path, Supplier<ModelWeights> weights, float[] inputEmbedding) {
        this.path = path;
        this.weights = weights;
        this.inputEmbedding = inputEmbedding;
    }

    /** A GGUF file or Hugging Face folder; for an engine that needs an export, the exported folder. */
    public static ModelSource of(Path path) {
        Objects.requireNonNull(path, "path");
        return new ModelSource(path, () -> Checkpoint.open(path).weights(), null);
    }

    /** Weights already in memory (random test models, the project's draft with the target's embedding). */
    public static ModelSource of(ModelWeights weights) {
        Objects.requireNonNull(weights, "weights");
        return new ModelSource(null, () -> weights, null);
    }

    /**
     * {@code path} for engines that run an export, {@code weights} (read when asked) for the others,
     * and the embedding matrix an export shares with its target, row-major {@code (vocab, hidden)},
     * or null when the export holds its own.
     */
    public static ModelSource of(Path path, Supplier<ModelWeights> weights, float[] inputEmbedding) {
        return new ModelSource(Objects.requireNonNull(path, "path"), Objects.requireNonNull(weights, "weights"),
                inputEmbedding);
    }

    /** The same model, its export at {@code export}. */
    public ModelSource withPath(Path export) {
        return new ModelSource(Objects.requireNonNull(export, "export"), weights, inputEmbedding);
    }

    /**
     * The file or folder named.
     *
     * @throws IllegalStateException the model was given as weights in memory
     */
    public Path path() {
        if (path == null) {
            throw new IllegalStateException("this model was given as weights in memory, not as files: load it"
                    + " on an engine that runs weights (pytorch)");
        }
        return path;
    }

    /** The model's weights, read on the first call. */
    public synchronized ModelWeights weights() {
        if (read == null) {
            read = weights.get();
        }
        return read;
    }

    /** The embedding matrix an export shares with its target, if it does. Not a copy. */
    public Optional<float[]> inputEmbedding() {
        return Optional.ofNullable(inputEmbedding);
    }

    @Override
    public String toString() {
        return path == null ? "weights in memory" : path.toString();
    }
}
