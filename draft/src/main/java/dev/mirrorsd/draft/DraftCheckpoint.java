package dev.mirrorsd.draft;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.format.hf.HfCheckpoint;
import dev.mirrorsd.core.format.safetensors.SafetensorsFile;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.weights.HostTensor;
import dev.mirrorsd.core.weights.ModelWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The project's draft (models/draft, made by tools/train): Hugging Face Llama layers that share
 * the target's embedding, a reduced-vocabulary LM head with its {@code draft_to_target} map, and
 * multi-token heads {@code mtp.k}. See models/README.md for the format.
 *
 * @param weights       the draft's tensors, the target's embedding included
 * @param draftToTarget target id of each row of the draft's LM head
 */
public record DraftCheckpoint(ModelWeights weights, int[] draftToTarget) {

    public static final String DRAFT_TO_TARGET = "draft_to_target";

    /** Loads the draft in {@code dir}, taking the embedding from the target's weights. */
    public static DraftCheckpoint load(Path dir, ModelWeights target) {
        ModelConfig config = requireSharedEmbedding(dir, target, HfCheckpoint.open(dir).config());
        ModelConfig targetConfig = target.config();
        Path file = dir.resolve("model.safetensors");
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        int[] draftToTarget;
        try (SafetensorsFile safetensors = SafetensorsFile.open(file)) {
            for (String name : safetensors.names()) {
                if (!name.equals(DRAFT_TO_TARGET)) {
                    tensors.put(name, safetensors.read(name));
                }
            }
            draftToTarget = safetensors.readIndices(DRAFT_TO_TARGET);
        }
        tensors.put(ModelWeights.EMBED, target.require(ModelWeights.EMBED));
        HostTensor head = tensors.get(ModelWeights.LM_HEAD);
        if (head == null || head.dim(0) != draftToTarget.length) {
            throw new ModelFormatException(file + ": lm_head rows must match draft_to_target's "
                    + draftToTarget.length + " entries");
        }
        requireTargetIds(file, draftToTarget, targetConfig);
        return new DraftCheckpoint(new ModelWeights(config, tensors, dir.toString()), draftToTarget);
    }

    /**
     * The draft's {@code draft_to_target} map alone, for a draft that runs from an export (ONNX
     * Runtime, AOTI graphs) and so needs none of the weights {@link #load} reads and widens.
     */
    public static int[] readDraftToTarget(Path dir, ModelWeights target) {
        requireSharedEmbedding(dir, target, HfCheckpoint.open(dir).config());
        Path file = dir.resolve("model.safetensors");
        int[] draftToTarget;
        try (SafetensorsFile safetensors = SafetensorsFile.open(file)) {
            draftToTarget = safetensors.readIndices(DRAFT_TO_TARGET);
        }
        requireTargetIds(file, draftToTarget, target.config());
        return draftToTarget;
    }

    private static void requireTargetIds(Path file, int[] draftToTarget, ModelConfig targetConfig) {
        for (int id : draftToTarget) {
            if (id < 0 || id >= targetConfig.vocabSize()) {
                throw new ModelFormatException(file + ": draft_to_target holds " + id + ", outside the target's vocabulary");
            }
        }
    }

    /**
     * The draft in {@code dir} as engines load it: its weights (read by {@link #load} when an engine
     * asks for them) and the target's embedding rows, which an export of the draft (draft.onnx in
     * {@code dir}, or compiled graphs elsewhere) is fed instead of holding its own. Logits and
     * multi-token heads are over the draft vocabulary; map ids with {@link #readDraftToTarget}.
     */
    public static ModelSource source(Path dir, ModelWeights target) {
        requireSharedEmbedding(dir, target, HfCheckpoint.open(dir).config());
        return ModelSource.of(dir, () -> load(dir, target).weights(), target.require(ModelWeights.EMBED).data());
    }

    /** Whether {@code dir} holds a draft of the project's format, one that shares its target's embedding. */
    public static boolean isProjectDraft(Path dir) {
        Path config = dir.resolve("config.json");
        try {
            return Files.isRegularFile(config) && Files.readString(config).contains("\"shares_target_embedding\"");
        } catch (IOException e) {
            return false;
        }
    }

    private static ModelConfig requireSharedEmbedding(Path dir, ModelWeights target, ModelConfig config) {
        ModelConfig targetConfig = target.config();
        if (config.vocabSize() != targetConfig.vocabSize() || config.hiddenSize() != targetConfig.hiddenSize()) {
            throw new IllegalArgumentException(dir + ": the draft expects a vocabulary of " + config.vocabSize()
                    + " and width " + config.hiddenSize() + ", the target has " + targetConfig.vocabSize() + " and "
                    + targetConfig.hiddenSize() + ": draft and target must share a vocabulary and embedding");
        }
        JsonObject section = mirrorSection(dir);
        if (section == null || !section.has("shares_target_embedding")
                || !section.get("shares_target_embedding").getAsBoolean()) {
            throw new ModelFormatException(dir + "/config.json: no mirror_sd section with shares_target_embedding;"
                    + " a standalone draft loads through Checkpoint.open");
        }
        return config;
    }

    private static JsonObject mirrorSection(Path dir) {
        try {
            JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
            return config.has("mirror_sd") ? config.getAsJsonObject("mirror_sd") : null;
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(dir + "/config.json: " + e.getMessage(), e);
        }
    }

    @Override
    public int[] draftToTarget() {
        return draftToTarget.clone();
    }
}
