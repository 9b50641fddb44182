package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ForwardPass;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps any engine's model to count the sequences and forward passes left open, engine-neutrally,
 * and to fail on demand: the {@code n}-th forward pass begun throws, as a lost device would.
 * Closing it closes nothing of the wrapped model.
 */
final class InstrumentedCausalLM implements CausalLM {
    private final CausalLM inner;
    private final AtomicInteger openSequences = new AtomicInteger();
    private final AtomicInteger openPasses = new AtomicInteger();
    private final AtomicInteger passesBegun = new AtomicInteger();
    private volatile int failAtPass; // 0 = never

    InstrumentedCausalLM(CausalLM inner) {
        this.inner = inner;
    }

    /** The {@code n}-th forward pass from now on throws; 0 never. */
    void failAtPass(int n) {
        passesBegun.set(0);
        failAtPass = n;
    }

    int openSequences() {
        return openSequences.get();
    }

    int openPasses() {
        return openPasses.get();
    }

    @Override
    public ModelConfig config() {
        return inner.config();
    }

    @Override
    public Sequence newSequence(int capacity) {
        Sequence sequence = inner.newSequence(capacity);
        openSequences.incrementAndGet();
        return new Counted(sequence);
    }

    @Override
    public String device() {
        return "instrumented " + inner.device();
    }

    @Override
    public void close() {
    }

    private final class Counted implements Sequence {
        private final Sequence sequence;
        private boolean closed;

        Counted(Sequence sequence) {
            this.sequence = sequence;
        }

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
            int n = passesBegun.incrementAndGet();
            if (n == failAtPass) {
                throw new IllegalStateException("device lost (injected at forward pass " + n + ")");
            }
            ForwardPass pass = sequence.begin(window);
            openPasses.incrementAndGet();
            return new ForwardPass() {
                private boolean passClosed;

                @Override
                public int layers() {
                    return pass.layers();
                }

                @Override
                public int layersDone() {
                    return pass.layersDone();
                }

                @Override
                public void runTo(int layer) {
                    pass.runTo(layer);
                }

                @Override
                public Logits logits(int fromRow) {
                    return pass.logits(fromRow);
                }

                @Override
                public int multiTokenHeads() {
                    return pass.multiTokenHeads();
                }

                @Override
                public Logits multiTokenLogits(int head, int fromRow) {
                    return pass.multiTokenLogits(head, fromRow);
                }

                @Override
                public void close() {
                    if (!passClosed) {
                        passClosed = true;
                        openPasses.decrementAndGet();
                    }
                    pass.close();
                }
            };
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
            if (!closed) {
                closed = true;
                openSequences.decrementAndGet();
            }
            sequence.close();
        }
    }
}
