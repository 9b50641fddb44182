package dev.mirrorsd.draft;

import dev.mirrorsd.core.format.safetensors.SafetensorsFile;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.testing.RandomFeatureDraft;
import dev.mirrorsd.core.testing.RandomWeights;
import dev.mirrorsd.core.weights.ModelWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The feature draft's step, against a plain double-precision transcription of the formulas in
 * docs/design/feature-draft.md (no shared code with the SIMD kernels), over a run of steps that
 * mixes target features and the draft's own hidden state; and its loader's errors.
 */
class FeatureDraftTest {
    private static final ModelConfig TARGET = RandomWeights.tinyConfig(false); // hidden 32, 3 layers, 4/2 heads
    private static final ModelWeights TARGET_WEIGHTS = RandomWeights.of(TARGET, 7);
    private static final int[] D2T = {3, 5, 8, 13, 21, 34, 55, 89, 90, 91, 0, 1};

    @TempDir
    Path dir;

    @Test
    void stepsShouldMatchTheFormulasComputedInDoublePrecision() throws IOException {
        assertStepsMatchTheFormulas(FeatureDraft.Precision.FLOAT32, 1e-3);
    }

    @Test
    void int8StepsShouldStayCloseToTheFormulas() throws IOException {
        // int8 rows carry about 2-3 significant digits, so errors scale with the vector, not the
        // element (a small entry is a cancellation of large terms); a wrong kernel is off by the vector
        assertStepsMatchTheFormulas(FeatureDraft.Precision.INT8, 5e-2);
    }

    private void assertStepsMatchTheFormulas(FeatureDraft.Precision precision, double tolerance) throws IOException {
        RandomFeatureDraft.write(dir, TARGET, new int[] {1, 2}, D2T, 0.3, 11);
        FeatureDraft draft = FeatureDraft.load(dir, TARGET_WEIGHTS, precision);
        Reference reference = new Reference(dir);
        FeatureDraft.State state = draft.newState(16);
        SplittableRandom random = new SplittableRandom(5);
        int h = TARGET.hiddenSize();
        float[] g = new float[h];
        double[] refG = new double[h];
        float[] logits = new float[D2T.length];
        for (int position = 1; position <= 8; position++) {
            int token = random.nextInt(TARGET.vocabSize());
            boolean fused = position <= 5; // target features, then the draft's own state
            float[] input = new float[2 * h];
            if (fused) {
                for (int i = 0; i < input.length; i++) {
                    input[i] = (float) (random.nextGaussian() * 3);
                }
            } else {
                System.arraycopy(g, 0, input, 0, h);
            }
            double[] expectedLogits = reference.step(input, fused, token, position, refG);
            state.step(input, 0, fused, token, position, 1, g, logits);
            double gScale = 1 + rms(refG);
            for (int i = 0; i < h; i++) {
                assertEquals(refG[i], g[i], tolerance * gScale, "g[" + i + "] at position " + position);
            }
            double logitScale = 1 + rms(expectedLogits);
            for (int i = 0; i < D2T.length; i++) {
                assertEquals(expectedLogits[i], logits[i], tolerance * logitScale, "logit " + i + " at position " + position);
            }
        }
    }

    private static double rms(double[] v) {
        double ss = 0;
        for (double x : v) {
            ss += x * x;
        }
        return Math.sqrt(ss / v.length);
    }

    @Test
    void shouldKnowAFeatureDraftFromOtherFolders() throws IOException {
        assertFalse(FeatureDraft.isFeatureDraft(dir));
        RandomFeatureDraft.write(dir, TARGET, new int[] {2}, D2T, 0.1, 1);
        assertTrue(FeatureDraft.isFeatureDraft(dir));
        assertFalse(FeatureDraft.isFeatureDraft(Path.of(System.getProperty("mirrorsd.repo", ".."), "models", "draft")));
    }

    @Test
    void shouldRefuseADraftMadeForAnotherTarget() throws IOException {
        ModelConfig wider = new ModelConfig(TARGET.architecture(), TARGET.vocabSize(), 64, 64, 3, 4, 2, 16, 256,
                1e-5f, 10000f, false, false, 1, new int[] {2});
        RandomFeatureDraft.write(dir, wider, new int[] {2}, D2T, 0.1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FeatureDraft.load(dir, TARGET_WEIGHTS));
        assertTrue(e.getMessage().contains("width 64"), e.getMessage());
    }

    @Test
    void shouldRefuseFeatureLayersOutsideTheTarget() throws IOException {
        RandomFeatureDraft.write(dir, TARGET, new int[] {4}, D2T, 0.1, 1);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> FeatureDraft.load(dir, TARGET_WEIGHTS));
        assertTrue(e.getMessage().contains("feature_layers"), e.getMessage());
    }

    @Test
    void shouldNameAMissingTensor() throws IOException {
        RandomFeatureDraft.write(dir, TARGET, new int[] {2}, D2T, 0.1, 1);
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"intermediate_size\":64", "\"intermediate_size\":48"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> FeatureDraft.load(dir, TARGET_WEIGHTS));
        assertTrue(e.getMessage().contains("layer.mlp.gate_proj.weight"), e.getMessage());
    }

    @Test
    void shouldRefuseDraftIdsOutsideTheTargetVocabulary() throws IOException {
        RandomFeatureDraft.write(dir, TARGET, new int[] {2}, new int[] {1, 2, 96}, 0.1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FeatureDraft.load(dir, TARGET_WEIGHTS));
        assertTrue(e.getMessage().contains("96"), e.getMessage());
    }

    /** The draft's step in doubles, straight from the formulas; its cache is a list of keys and values. */
    private static final class Reference {
        private final double[][] fc;
        private final double[][] wq;
        private final double[][] wk;
        private final double[][] wv;
        private final double[][] wo;
        private final double[][] gate;
        private final double[][] up;
        private final double[][] down;
        private final double[] embNorm;
        private final double[] hidNorm;
        private final double[] postNorm;
        private final double[] norm;
        private final double[][] keys = new double[16][];
        private final double[][] values = new double[16][];

        Reference(Path dir) {
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
                fc = matrix(f, "fc.weight");
                wq = matrix(f, "layer.self_attn.q_proj.weight");
                wk = matrix(f, "layer.self_attn.k_proj.weight");
                wv = matrix(f, "layer.self_attn.v_proj.weight");
                wo = matrix(f, "layer.self_attn.o_proj.weight");
                gate = matrix(f, "layer.mlp.gate_proj.weight");
                up = matrix(f, "layer.mlp.up_proj.weight");
                down = matrix(f, "layer.mlp.down_proj.weight");
                embNorm = vector(f, "layer.input_layernorm.weight");
                hidNorm = vector(f, "layer.hidden_norm.weight");
                postNorm = vector(f, "layer.post_attention_layernorm.weight");
                norm = vector(f, "norm.weight");
            }
        }

        double[] step(float[] input, boolean fused, int token, int position, double[] gOut) {
            int h = TARGET.hiddenSize();
            double[] x = new double[input.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = input[i];
            }
            double[] hid = fused ? mul(fc, x) : java.util.Arrays.copyOf(x, h);
            double[] e = new double[h];
            float[] embedding = TARGET_WEIGHTS.require(ModelWeights.EMBED).data();
            for (int i = 0; i < h; i++) {
                e[i] = embedding[token * h + i];
            }
            double[] a = concat(rms(e, embNorm), rms(hid, hidNorm));
            int dim = TARGET.headDim();
            double[] q = rope(mul(wq, a), position, dim);
            keys[position] = rope(mul(wk, a), position, dim);
            values[position] = mul(wv, a);
            double[] attn = new double[q.length];
            int group = TARGET.numHeads() / TARGET.numKvHeads();
            for (int head = 0; head < TARGET.numHeads(); head++) {
                int kv = head / group;
                double[] w = new double[position + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 1; s <= position; s++) {
                    double dot = 0;
                    for (int d = 0; d < dim; d++) {
                        dot += q[head * dim + d] * keys[s][kv * dim + d];
                    }
                    w[s] = dot / Math.sqrt(dim);
                    max = Math.max(max, w[s]);
                }
                double sum = 0;
                for (int s = 1; s <= position; s++) {
                    w[s] = Math.exp(w[s] - max);
                    sum += w[s];
                }
                for (int s = 1; s <= position; s++) {
                    for (int d = 0; d < dim; d++) {
                        attn[head * dim + d] += w[s] / sum * values[s][kv * dim + d];
                    }
                }
            }
            double[] r = add(hid, mul(wo, attn));
            double[] n = rms(r, postNorm);
            double[] gl = mul(gate, n);
            double[] ul = mul(up, n);
            for (int i = 0; i < gl.length; i++) {
                gl[i] = gl[i] / (1 + Math.exp(-gl[i])) * ul[i];
            }
            double[] g = add(r, mul(down, gl));
            System.arraycopy(g, 0, gOut, 0, h);
            double[] z = rms(g, norm);
            // the target's LM head (its embedding when tied), rows at the draft's ids
            float[] head = TARGET_WEIGHTS.contains(ModelWeights.LM_HEAD)
                    ? TARGET_WEIGHTS.require(ModelWeights.LM_HEAD).data() : embedding;
            double[] logits = new double[D2T.length];
            for (int i = 0; i < D2T.length; i++) {
                for (int j = 0; j < h; j++) {
                    logits[i] += head[D2T[i] * h + j] * z[j];
                }
            }
            return logits;
        }

        private static double[] rope(double[] x, int position, int dim) {
            double[] out = x.clone();
            int half = dim / 2;
            for (int head = 0; head < x.length / dim; head++) {
                for (int i = 0; i < half; i++) {
                    double angle = position * Math.pow(TARGET.ropeTheta(), -2.0 * i / dim);
                    double x0 = x[head * dim + i];
                    double x1 = x[head * dim + i + half];
                    out[head * dim + i] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                    out[head * dim + i + half] = x1 * Math.cos(angle) + x0 * Math.sin(angle);
                }
            }
            return out;
        }

        private static double[] rms(double[] x, double[] weight) {
            double ss = 0;
            for (double v : x) {
                ss += v * v;
            }
            double scale = 1 / Math.sqrt(ss / x.length + TARGET.rmsNormEps());
            double[] out = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                out[i] = x[i] * scale * weight[i];
            }
            return out;
        }

        private static double[] mul(double[][] w, double[] x) {
            double[] out = new double[w.length];
            for (int r = 0; r < w.length; r++) {
                for (int c = 0; c < x.length; c++) {
                    out[r] += w[r][c] * x[c];
                }
            }
            return out;
        }

        private static double[] add(double[] a, double[] b) {
            double[] out = a.clone();
            for (int i = 0; i < a.length; i++) {
                out[i] += b[i];
            }
            return out;
        }

        private static double[] concat(double[] a, double[] b) {
            double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, out, a.length, b.length);
            return out;
        }

        private static double[][] matrix(SafetensorsFile f, String name) {
            var t = f.read(name);
            int rows = (int) t.dim(0);
            int cols = (int) t.dim(1);
            double[][] m = new double[rows][cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    m[r][c] = t.data()[r * cols + c];
                }
            }
            return m;
        }

        private static double[] vector(SafetensorsFile f, String name) {
            float[] v = f.read(name).data();
            double[] out = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = v[i];
            }
            return out;
        }
    }
}
