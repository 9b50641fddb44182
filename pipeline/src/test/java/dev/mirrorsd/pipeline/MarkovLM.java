package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.Architecture;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A second-order Markov "model" in plain Java: the logits after a context depend on its last two
 * tokens only, looked up in a seeded random table. It honours the {@link CausalLM} contract (tree
 * windows see their own path, truncate, compact, early-exit layers), so every decoding loop runs on
 * it, thousands of requests a second, and the exact distribution of any output prefix is a product
 * of table rows ({@link #logitsAfter}). Every layer's proxy logits are the final ones.
 */
final class MarkovLM implements CausalLM {
    private static final int LAYERS = 2;

    private final ModelConfig config;
    private final int vocab;
    private final float[] table; // ((vocab + 1) * vocab, vocab): row of (previous or vocab = none, last)
    private final boolean hiddenStates;

    private MarkovLM(int vocab, float[] table, boolean hiddenStates) {
        this.vocab = vocab;
        this.table = table;
        this.hiddenStates = hiddenStates;
        this.config = new ModelConfig(Architecture.LLAMA, vocab, 8, 8, LAYERS, 1, 1, 2, 256, 1e-5f, 10_000f,
                false, false, -1, new int[0]);
    }

    /** A table of Gaussian logits with standard deviation {@code scale}. */
    static MarkovLM random(int vocab, long seed, double scale) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] table = new float[(vocab + 1) * vocab * vocab];
        for (int i = 0; i < table.length; i++) {
            table[i] = (float) (random.nextGaussian() * scale);
        }
        return new MarkovLM(vocab, table, true);
    }

    /** This table, from an engine that exposes no hidden states. */
    MarkovLM withoutHiddenStates() {
        return new MarkovLM(vocab, table, false);
    }

    /** The logits after {@code context[0..length)}, {@code length >= 1}. */
    float[] logitsAfter(int[] context, int length) {
        int previous = length >= 2 ? context[length - 2] : vocab;
        return logitsAfter(previous, context[length - 1]);
    }

    private float[] logitsAfter(int previous, int last) {
        int row = (previous * vocab + last) * vocab;
        return Arrays.copyOfRange(table, row, row + vocab);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Sequence newSequence(int capacity) {
        return new MarkovSequence(capacity);
    }

    @Override
    public CausalLM firstLayers(int layers) {
        return this;
    }

    @Override
    public String device() {
        return "markov:cpu";
    }

    @Override
    public void close() {
    }

    private final class MarkovSequence implements Sequence {
        private final int[] tokens; // the cached positions' tokens: all the "keys and values" this model has
        private int length;
        private boolean passOpen;

        MarkovSequence(int capacity) {
            this.tokens = new int[capacity];
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public int capacity() {
            return tokens.length;
        }

        @Override
        public ForwardPass begin(Window window) {
            if (passOpen) {
                throw new IllegalStateException("a forward pass is already open on this sequence");
            }
            if (length + window.size() > tokens.length) {
                throw new IllegalArgumentException("window of " + window.size() + " after " + length
                        + " cached positions exceeds the sequence capacity " + tokens.length);
            }
            for (int t : window.tokens()) {
                if (t < 0 || t >= vocab) {
                    throw new IllegalArgumentException("token " + t + " outside the vocabulary of " + vocab);
                }
            }
            passOpen = true;
            return new Pass(window);
        }

        @Override
        public void truncate(int newLength) {
            if (newLength < 0 || newLength > length) {
                throw new IllegalArgumentException("cannot truncate a cache of " + length + " positions to "
                        + newLength);
            }
            length = newLength;
        }

        @Override
        public void compact(int base, int[] keptRows) {
            if (base < 0 || base > length) {
                throw new IllegalArgumentException("compaction base " + base + " outside [0, " + length + "]");
            }
            for (int i = 0; i < keptRows.length; i++) {
                if (keptRows[i] < 0 || base + keptRows[i] >= length || (i > 0 && keptRows[i] <= keptRows[i - 1])) {
                    throw new IllegalArgumentException("kept rows must ascend inside the cache, got row "
                            + keptRows[i]);
                }
                tokens[base + i] = tokens[base + keptRows[i]];
            }
            length = base + keptRows.length;
        }

        @Override
        public void close() {
        }

        private final class Pass implements ForwardPass {
            private final Window window;
            private final int base = length;
            private int layersDone;
            private boolean grown;

            Pass(Window window) {
                this.window = window;
            }

            @Override
            public int layers() {
                return LAYERS;
            }

            @Override
            public int layersDone() {
                return layersDone;
            }

            @Override
            public void runTo(int layer) {
                if (layer < layersDone || layer > LAYERS) {
                    throw new IllegalArgumentException("cannot run to layer " + layer + " after " + layersDone);
                }
                layersDone = layer;
                if (layer == LAYERS && !grown) {
                    System.arraycopy(window.tokens(), 0, tokens, base, window.size());
                    length = base + window.size();
                    grown = true;
                }
            }

            @Override
            public Logits logits(int fromRow) {
                int rows = window.size() - fromRow;
                float[] values = new float[rows * vocab];
                for (int r = fromRow; r < window.size(); r++) {
                    int parent = window.parents()[r];
                    int previous = parent >= 0 ? window.tokens()[parent] : base > 0 ? tokens[base - 1] : vocab;
                    System.arraycopy(logitsAfter(previous, window.tokens()[r]), 0, values, (r - fromRow) * vocab,
                            vocab);
                }
                return new Logits(rows, vocab, values);
            }

            /**
             * A stand-in residual stream of width 8 for a feature draft: the row's logits, then its
             * token one-hot, scaled by the layers run (a function of the row's context, as a real one is).
             */
            @Override
            public int hiddenStates(int fromRow, float[] out) {
                if (!hiddenStates) {
                    throw new UnsupportedOperationException("this Markov table exposes no hidden states");
                }
                Logits rows = logits(fromRow);
                int width = config.hiddenSize();
                for (int r = 0; r < rows.rows(); r++) {
                    java.util.Arrays.fill(out, r * width, (r + 1) * width, 0f);
                    for (int i = 0; i < vocab && i < width; i++) {
                        out[r * width + i] = rows.get(r, i) * layersDone;
                    }
                    int token = window.tokens()[fromRow + r];
                    if (vocab + token < width) {
                        out[r * width + vocab + token] = layersDone;
                    }
                }
                return rows.rows() * width;
            }

            @Override
            public void close() {
                passOpen = false;
            }
        }
    }
}
