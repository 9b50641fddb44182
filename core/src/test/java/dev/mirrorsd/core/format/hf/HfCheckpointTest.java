package dev.mirrorsd.core.format.hf;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.mirrorsd.core.format.safetensors.SafetensorsWriter;
import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.UnsupportedModelException;
import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.core.weights.ModelWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfCheckpointTest {
    @TempDir
    Path dir;

    /** vocab 8, hidden 4, ffn 6, 2 layers, 2 query heads over 1 kv head of width 2. */
    static JsonObject tinyConfig(String architecture) {
        JsonObject c = new JsonObject();
        JsonArray archs = new JsonArray();
        archs.add(architecture);
        c.add("architectures", archs);
        c.addProperty("vocab_size", 8);
        c.addProperty("hidden_size", 4);
        c.addProperty("intermediate_size", 6);
        c.addProperty("num_hidden_layers", 2);
        c.addProperty("num_attention_heads", 2);
        c.addProperty("num_key_value_heads", 1);
        c.addProperty("max_position_embeddings", 64);
        c.addProperty("rms_norm_eps", 1e-5);
        c.addProperty("bos_token_id", 1);
        c.addProperty("eos_token_id", 2);
        return c;
    }

    private static SafetensorsWriter tensorsFor(ModelConfig config, Map<String, long[]> extra) {
        SafetensorsWriter w = new SafetensorsWriter();
        Map<String, long[]> all = new java.util.LinkedHashMap<>(HfTensorLayout.required(config));
        all.putAll(extra);
        int seed = 0;
        for (Map.Entry<String, long[]> e : all.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) {
                n *= d;
            }
            float[] v = new float[(int) n];
            for (int i = 0; i < v.length; i++) {
                v[i] = (seed + i) * 0.25f;
            }
            seed++;
            if (seed % 2 == 0) {
                w.f16(e.getKey(), e.getValue(), v);
            } else {
                w.f32(e.getKey(), e.getValue(), v);
            }
        }
        return w;
    }

    private ModelConfig writeConfig(JsonObject config) throws IOException {
        Files.writeString(dir.resolve("config.json"), config.toString());
        return HfConfigReader.read(dir);
    }

    private ModelConfig writeCheckpoint(JsonObject config) throws IOException {
        ModelConfig c = writeConfig(config);
        tensorsFor(c, Map.of()).write(dir.resolve("model.safetensors"));
        return c;
    }

    @Test
    void shouldLoadLlamaCheckpoint() throws IOException {
        writeCheckpoint(tinyConfig("LlamaForCausalLM"));
        ModelWeights w = HfCheckpoint.load(dir);
        ModelConfig c = w.config();
        assertEquals(Architecture.LLAMA, c.architecture());
        assertEquals(2, c.headDim());
        assertEquals(1, c.numKvHeads());
        assertEquals(10_000f, c.ropeTheta());
        assertFalse(c.tieWordEmbeddings());
        assertFalse(c.attentionBias());
        assertArrayEquals(new int[] {2}, c.eosTokenIds());
        assertArrayEquals(new long[] {8, 4}, w.require(ModelWeights.LM_HEAD, 8, 4).shape());
        assertArrayEquals(new long[] {2, 4}, w.require(ModelWeights.layer(1, "self_attn.k_proj.weight"), 2, 4).shape());
        float[] embed = w.require(ModelWeights.EMBED).data();
        assertEquals(0f, embed[0]);
        assertEquals(0.25f, embed[1]);
        assertEquals(0.5f, w.require(ModelWeights.layer(0, "input_layernorm.weight")).data()[1], "an F16 tensor");
    }

    @Test
    void shouldRequireQkvBiasesForQwen2() throws IOException {
        ModelConfig c = writeConfig(tinyConfig("Qwen2ForCausalLM"));
        assertTrue(c.attentionBias());
        assertEquals(1, c.bosTokenId(), "bos from config.json");
        tensorsFor(c, Map.of()).write(dir.resolve("model.safetensors"));
        ModelWeights w = HfCheckpoint.load(dir);
        assertArrayEquals(new long[] {2}, w.require(ModelWeights.layer(0, "self_attn.k_proj.bias")).shape());
        assertFalse(w.contains(HfTensorLayout.oProjBias(0)));

        // the same file without biases is refused, naming the tensor and the file
        JsonObject llamaLike = tinyConfig("LlamaForCausalLM");
        Files.writeString(dir.resolve("config.json"), llamaLike.toString());
        tensorsFor(HfConfigReader.read(dir), Map.of()).write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), tinyConfig("Qwen2ForCausalLM").toString());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.load(dir));
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("q_proj.bias"), e.getMessage());
    }

    @Test
    void shouldLoadLlamaAttentionBiasIncludingOProj() throws IOException {
        JsonObject config = tinyConfig("LlamaForCausalLM");
        config.addProperty("attention_bias", true);
        ModelConfig c = writeConfig(config);
        tensorsFor(c, HfTensorLayout.optional(c)).write(dir.resolve("model.safetensors"));
        ModelWeights w = HfCheckpoint.load(dir);
        assertTrue(w.config().attentionBias());
        assertArrayEquals(new long[] {4}, w.require(HfTensorLayout.oProjBias(1), 4).shape());
    }

    @Test
    void shouldNotNeedLmHeadWhenTied() throws IOException {
        JsonObject config = tinyConfig("MistralForCausalLM");
        config.addProperty("tie_word_embeddings", true);
        writeCheckpoint(config);
        ModelWeights w = HfCheckpoint.load(dir);
        assertTrue(w.config().tieWordEmbeddings());
        assertFalse(w.contains(ModelWeights.LM_HEAD));
    }

    @Test
    void shouldRejectMissingTensor() throws IOException {
        ModelConfig c = writeConfig(tinyConfig("LlamaForCausalLM"));
        SafetensorsWriter w = tensorsFor(c, Map.of());
        w.header().remove("model.layers.1.mlp.up_proj.weight");
        w.write(dir.resolve("model.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.load(dir));
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("'model.layers.1.mlp.up_proj.weight'"),
                e.getMessage());
    }

    @Test
    void shouldRejectWrongShape() throws IOException {
        ModelConfig c = writeConfig(tinyConfig("LlamaForCausalLM"));
        tensorsFor(c, Map.of()).write(dir.resolve("model.safetensors"));
        JsonObject wider = tinyConfig("LlamaForCausalLM");
        wider.addProperty("intermediate_size", 8);
        Files.writeString(dir.resolve("config.json"), wider.toString());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.load(dir));
        assertTrue(e.getMessage().contains("'model.layers.0.mlp.gate_proj.weight' has shape [6, 4]")
                && e.getMessage().contains("[8, 4]"), e.getMessage());
    }

    @Test
    void shouldLoadShardedCheckpoint() throws IOException {
        ModelConfig c = writeConfig(tinyConfig("LlamaForCausalLM"));
        Map<String, long[]> layout = HfTensorLayout.required(c);
        SafetensorsWriter first = new SafetensorsWriter();
        SafetensorsWriter second = new SafetensorsWriter();
        JsonObject weightMap = new JsonObject();
        int i = 0;
        for (Map.Entry<String, long[]> e : layout.entrySet()) {
            float[] v = new float[(int) java.util.Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b)];
            java.util.Arrays.fill(v, i);
            boolean inFirst = i++ % 2 == 0;
            (inFirst ? first : second).bf16(e.getKey(), e.getValue(), v);
            weightMap.addProperty(e.getKey(), inFirst ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        first.write(dir.resolve("model-00001-of-00002.safetensors"));
        second.write(dir.resolve("model-00002-of-00002.safetensors"));
        JsonObject index = new JsonObject();
        index.add("metadata", new JsonObject());
        index.add("weight_map", weightMap);
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());

        ModelWeights w = HfCheckpoint.load(dir);
        assertEquals(layout.keySet(), w.names());
        assertEquals(1f, w.require("model.layers.0.input_layernorm.weight").data()[3]);

        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.load(dir));
        assertTrue(e.getMessage().contains("model.safetensors.index.json")
                && e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
    }

    @Test
    void shouldRejectNegativeSize() throws IOException {
        JsonObject config = tinyConfig("LlamaForCausalLM");
        config.addProperty("intermediate_size", -6);
        Files.writeString(dir.resolve("config.json"), config.toString());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("intermediate_size must be positive"),
                e.getMessage());
        config.addProperty("intermediate_size", 6);
        config.addProperty("num_attention_heads", 0);
        Files.writeString(dir.resolve("config.json"), config.toString());
        e = assertThrows(ModelFormatException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("num_attention_heads must be positive"), e.getMessage());
    }

    @Test
    void shouldRejectUnknownArchitecture() throws IOException {
        Files.writeString(dir.resolve("config.json"), tinyConfig("GPT2LMHeadModel").toString());
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("GPT2LMHeadModel") && e.getMessage().contains("LlamaForCausalLM"), e.getMessage());
    }

    @Test
    void shouldRejectRopeScaling() throws IOException {
        JsonObject config = tinyConfig("LlamaForCausalLM");
        JsonObject scaling = new JsonObject();
        scaling.addProperty("rope_type", "llama3");
        scaling.addProperty("factor", 8.0);
        config.add("rope_scaling", scaling);
        Files.writeString(dir.resolve("config.json"), config.toString());
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("'llama3'"), e.getMessage());

        config.remove("rope_scaling");
        JsonObject params = new JsonObject();
        params.addProperty("type", "yarn");
        config.add("rope_parameters", params);
        Files.writeString(dir.resolve("config.json"), config.toString());
        e = assertThrows(UnsupportedModelException.class, () -> HfCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("'yarn'"), e.getMessage());
    }

    @Test
    void shouldReadThetaFromTransformers5RopeParameters() throws IOException {
        JsonObject config = tinyConfig("Qwen2ForCausalLM");
        JsonObject params = new JsonObject();
        params.addProperty("rope_type", "default");
        params.addProperty("rope_theta", 1_000_000.0);
        config.add("rope_parameters", params);
        config.add("rope_scaling", com.google.gson.JsonNull.INSTANCE);
        assertEquals(1_000_000f, writeConfig(config).ropeTheta());
        config.remove("rope_parameters");
        config.addProperty("rope_theta", 500_000);
        assertEquals(500_000f, writeConfig(config).ropeTheta());
    }

    @Test
    void shouldApplyTransformersDefaults() throws IOException {
        JsonObject config = tinyConfig("LlamaForCausalLM");
        config.remove("num_key_value_heads");
        config.remove("max_position_embeddings");
        config.remove("bos_token_id");
        config.remove("eos_token_id");
        ModelConfig c = writeConfig(config);
        assertEquals(2, c.numKvHeads(), "LlamaConfig: kv heads default to the query heads");
        assertEquals(2048, c.maxPositions());
        assertEquals(1, c.bosTokenId());
        assertArrayEquals(new int[] {2}, c.eosTokenIds());
        config.addProperty("head_dim", 4);
        assertEquals(4, writeConfig(config).headDim());
    }

    @Test
    void shouldPreferGenerationConfigForSpecialIds() throws IOException {
        JsonObject gen = new JsonObject();
        JsonArray eos = new JsonArray();
        eos.add(7);
        eos.add(5);
        gen.add("eos_token_id", eos);
        gen.addProperty("bos_token_id", 3);
        Files.writeString(dir.resolve("generation_config.json"), gen.toString());
        ModelConfig c = writeConfig(tinyConfig("MistralForCausalLM"));
        assertEquals(3, c.bosTokenId());
        assertArrayEquals(new int[] {7, 5}, c.eosTokenIds());
        assertTrue(c.isEos(5));
    }

    @Test
    void shouldExposeTokenizerFilesAndDefaultChatTemplate() throws IOException {
        writeConfig(tinyConfig("LlamaForCausalLM"));
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false},"
                + " \"eos_token\": \"</s>\", \"chat_template\": ["
                + "{\"name\": \"tool_use\", \"template\": \"tools\"},"
                + "{\"name\": \"default\", \"template\": \"{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}\"}]}");
        HfCheckpoint ckpt = HfCheckpoint.open(dir);
        assertEquals(dir.resolve("tokenizer.json"), ckpt.tokenizerJson().orElseThrow());
        assertEquals("<s>", ckpt.bosToken().orElseThrow());
        assertEquals("</s>", ckpt.eosToken().orElseThrow());
        assertEquals("<s>hi</s>", ckpt.chatTemplate().orElseThrow().render(List.of(ChatMessage.user("hi")), false));

        Files.writeString(dir.resolve("chat_template.jinja"), "[{{ messages[0]['content'] }}]");
        assertEquals("[hi]", HfCheckpoint.open(dir).chatTemplate().orElseThrow().render(List.of(ChatMessage.user("hi")), true));
    }
}
