package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

/** A model whose every sequence fails its {@code failAt}-th forward pass, as a lost device would. */
final class FailingModel implements CausalLM {
    private final CausalLM model;
    private final int failAt;

    FailingModel(CausalLM model, int failAt) {
        this.model = model;
        this.failAt = failAt;
    }

    @Override
    public ModelConfig config() {
        return model.config();
    }

    @Override
    public Sequence newSequence(int capacity) {
        Sequence sequence = model.newSequence(capacity);
        return new Sequence() {
            private int passes;

            @Override
            public int length() {
                return sequence.length();
            }

            @Override
            public int capacity() {
                return sequence.capacity();
            }

            @Override
            public ForwardPass begin(Window window) {
                if (++passes == failAt) {
                    throw new IllegalStateException("draft device lost");
                }
                return sequence.begin(window);
            }

            @Override
            public void truncate(int length) {
                sequence.truncate(length);
            }

            @Override
            public void compact(int base, int[] keptRows) {
                sequence.compact(base, keptRows);
            }

            @Override
            public void close() {
                sequence.close();
            }
        };
    }

    @Override
    public String device() {
        return model.device();
    }

    @Override
    public void close() {
        model.close();
    }
}
