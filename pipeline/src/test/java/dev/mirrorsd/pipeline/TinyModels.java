package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.core.weights.HostTensor;
import dev.mirrorsd.core.weights.ModelWeights;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A tiny random target and a tiny random draft with two multi-token heads, so that every strategy
 * (the streaming one included) runs in milliseconds. Vocabulary {@link #VOCAB}, context 256.
 */
final class TinyModels {
    static final int VOCAB = 96;
    /** Every strategy the reliability tests mix; a new strategy is one more entry here. */
    static final List<Strategy> STRATEGIES = List.of(Strategy.AUTOREGRESSIVE, Strategy.DRAFT, Strategy.PROMPT_LOOKUP,
            Strategy.EARLY_EXIT, Strategy.STREAMING, Strategy.MIRROR);

    private TinyModels() {
    }

    static CausalLM target() {
        return Engines.load(ModelSource.of(RandomWeights.of(RandomWeights.tinyConfig(false), 7)), "pytorch:cpu");
    }

    /** A random draft with multi-token heads {@code mtp.0} and {@code mtp.1} (tokens t+2 and t+3). */
    static CausalLM draftWithHeads() {
        ModelConfig config = RandomWeights.tinyConfig(false);
        ModelWeights weights = RandomWeights.of(config, 8);
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (String name : weights.names()) {
            tensors.put(name, weights.require(name));
        }
        SplittableRandom random = new SplittableRandom(9);
        int hidden = config.hiddenSize();
        for (int k = 0; k < 2; k++) {
            tensors.put(ModelWeights.multiTokenWeight(k), gaussian(random, 0.3, hidden, hidden));
            tensors.put("mtp." + k + ".bias", gaussian(random, 0.1, hidden));
        }
        return Engines.load(ModelSource.of(new ModelWeights(config, tensors, "random draft with heads")), "pytorch:cpu");
    }

    /** Options with the draft set, for {@link Generators#build}. */
    static DraftOptions options(CausalLM draft) {
        return DraftOptions.defaults().withDraft(draft, null, null).withExitLayer(2);
    }

    private static HostTensor gaussian(SplittableRandom random, double std, int... shape) {
        int n = 1;
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            n *= shape[i];
            dims[i] = shape[i];
        }
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = (float) (random.nextGaussian() * std);
        }
        return new HostTensor(dims, data);
    }
}
