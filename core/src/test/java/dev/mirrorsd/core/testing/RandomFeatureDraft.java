package dev.mirrorsd.core.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.format.safetensors.SafetensorsWriter;
import dev.mirrorsd.core.model.ModelConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a feature draft (docs/design/feature-draft.md) with random weights for a target of
 * {@code config}'s shape: config.json and model.safetensors, as the training tools export them.
 */
public final class RandomFeatureDraft {
    private RandomFeatureDraft() {
    }

    /**
     * @param featureLayers the target layers it reads
     * @param draftToTarget target id of each draft logit
     * @param std           spread of the projections' weights (norm weights are 1)
     */
    public static Path write(Path dir, ModelConfig target, int[] featureLayers, int[] draftToTarget, double std,
                             long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        int h = target.hiddenSize();
        int heads = target.numHeads();
        int kvHeads = target.numKvHeads();
        int headDim = target.headDim();
        int inter = target.intermediateSize();
        SafetensorsWriter w = new SafetensorsWriter();
        f32(w, random, std, "fc.weight", h, (long) featureLayers.length * h);
        ones(w, "layer.input_layernorm.weight", h);
        ones(w, "layer.hidden_norm.weight", h);
        f32(w, random, std, "layer.self_attn.q_proj.weight", (long) heads * headDim, 2L * h);
        f32(w, random, std, "layer.self_attn.k_proj.weight", (long) kvHeads * headDim, 2L * h);
        f32(w, random, std, "layer.self_attn.v_proj.weight", (long) kvHeads * headDim, 2L * h);
        f32(w, random, std, "layer.self_attn.o_proj.weight", h, (long) heads * headDim);
        ones(w, "layer.post_attention_layernorm.weight", h);
        f32(w, random, std, "layer.mlp.gate_proj.weight", inter, h);
        f32(w, random, std, "layer.mlp.up_proj.weight", inter, h);
        f32(w, random, std, "layer.mlp.down_proj.weight", h, inter);
        ones(w, "norm.weight", h);
        ByteBuffer ids = ByteBuffer.allocate(4 * draftToTarget.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : draftToTarget) {
            ids.putInt(id);
        }
        w.raw("d2t", "I32", new long[] {draftToTarget.length}, ids.array());
        Files.createDirectories(dir);
        w.write(dir.resolve("model.safetensors"));
        JsonObject config = new JsonObject();
        config.addProperty("architecture", "feature-draft");
        JsonArray layers = new JsonArray();
        for (int l : featureLayers) {
            layers.add(l);
        }
        config.add("feature_layers", layers);
        config.addProperty("hidden_size", h);
        config.addProperty("num_attention_heads", heads);
        config.addProperty("num_key_value_heads", kvHeads);
        config.addProperty("head_dim", headDim);
        config.addProperty("intermediate_size", inter);
        config.addProperty("rms_norm_eps", target.rmsNormEps());
        config.addProperty("rope_theta", target.ropeTheta());
        config.addProperty("draft_vocab_size", draftToTarget.length);
        config.addProperty("target_vocab_size", target.vocabSize());
        Files.writeString(dir.resolve("config.json"), config.toString());
        return dir;
    }

    private static void f32(SafetensorsWriter w, SplittableRandom random, double std, String name, long rows, long cols) {
        float[] v = new float[Math.toIntExact(rows * cols)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        w.f32(name, new long[] {rows, cols}, v);
    }

    private static void ones(SafetensorsWriter w, String name, int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        w.f32(name, new long[] {n}, v);
    }
}
