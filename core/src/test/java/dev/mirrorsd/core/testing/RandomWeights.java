package dev.mirrorsd.core.testing;

import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.weights.HostTensor;
import dev.mirrorsd.core.weights.ModelWeights;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Seeded random Llama-family weights, large enough in scale that greedy decoding is not degenerate. */
public final class RandomWeights {
    private RandomWeights() {
    }

    public static ModelConfig tinyConfig(boolean bias) {
        return new ModelConfig(bias ? Architecture.QWEN2 : Architecture.LLAMA, 96, 32, 64, 3, 4, 2, 8, 256,
                1e-5f, 10000f, false, bias, 1, new int[] {2});
    }

    public static ModelWeights of(ModelConfig c, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, HostTensor> t = new LinkedHashMap<>();
        int h = c.hiddenSize();
        int q = c.numHeads() * c.headDim();
        int kv = c.numKvHeads() * c.headDim();
        t.put(ModelWeights.EMBED, tensor(random, 1.0, c.vocabSize(), h));
        for (int l = 0; l < c.numLayers(); l++) {
            t.put(ModelWeights.layer(l, "input_layernorm.weight"), norm(random, h));
            t.put(ModelWeights.layer(l, "post_attention_layernorm.weight"), norm(random, h));
            t.put(ModelWeights.layer(l, "self_attn.q_proj.weight"), tensor(random, 0.3, q, h));
            t.put(ModelWeights.layer(l, "self_attn.k_proj.weight"), tensor(random, 0.3, kv, h));
            t.put(ModelWeights.layer(l, "self_attn.v_proj.weight"), tensor(random, 0.3, kv, h));
            t.put(ModelWeights.layer(l, "self_attn.o_proj.weight"), tensor(random, 0.3, h, q));
            if (c.attentionBias()) {
                t.put(ModelWeights.layer(l, "self_attn.q_proj.bias"), tensor(random, 0.3, q));
                t.put(ModelWeights.layer(l, "self_attn.k_proj.bias"), tensor(random, 0.3, kv));
                t.put(ModelWeights.layer(l, "self_attn.v_proj.bias"), tensor(random, 0.3, kv));
            }
            t.put(ModelWeights.layer(l, "mlp.gate_proj.weight"), tensor(random, 0.3, c.intermediateSize(), h));
            t.put(ModelWeights.layer(l, "mlp.up_proj.weight"), tensor(random, 0.3, c.intermediateSize(), h));
            t.put(ModelWeights.layer(l, "mlp.down_proj.weight"), tensor(random, 0.3, h, c.intermediateSize()));
        }
        t.put(ModelWeights.FINAL_NORM, norm(random, h));
        if (!c.tieWordEmbeddings()) {
            t.put(ModelWeights.LM_HEAD, tensor(random, 0.5, c.vocabSize(), h));
        }
        return new ModelWeights(c, t, "random(seed=" + seed + ")");
    }

    private static HostTensor tensor(SplittableRandom random, double std, int... shape) {
        int n = 1;
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            n *= shape[i];
            dims[i] = shape[i];
        }
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = (float) (gaussian(random) * std);
        }
        return new HostTensor(dims, data);
    }

    private static HostTensor norm(SplittableRandom random, int size) {
        float[] data = new float[size];
        for (int i = 0; i < size; i++) {
            data[i] = (float) (1.0 + 0.2 * gaussian(random));
        }
        return new HostTensor(new long[] {size}, data);
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
