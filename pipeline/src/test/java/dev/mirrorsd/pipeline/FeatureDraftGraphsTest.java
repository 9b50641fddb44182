package dev.mirrorsd.pipeline;

import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.FeatureDraftModel;
import dev.mirrorsd.core.testing.RandomFeatureDraft;
import dev.mirrorsd.core.testing.SmolLM2Target;
import dev.mirrorsd.draft.FeatureDraft;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The project's feature draft compiled into graphs ({@code tools/gpu/export_aoti.py --feature-draft
 * models/feature-draft --embedding-from SmolLM2.gguf DIR --device cpu}, named by
 * {@code MIRRORSD_AOTI_FEATURE_DRAFT}) against the same draft run in Java: the same g and logits
 * step by step (target features, the draft's own chain, tree nodes that see their ancestors and not
 * their siblings), window by window (catch-up over several windows, a tree depth as one window),
 * and, as the drafter of serial speculative decoding on the java engine's target, with chains and
 * with dynamic trees, the autoregressive tokens exactly. The export needs {@code --max-context 512}:
 * a tree's drafter reserves slots for its nodes. It needs a PyTorch install, so it is tagged {@code torch}
 * ({@code tools/gpu/cpu-check.sh} runs it); it fails when the export is missing.
 */
@Tag("torch")
class FeatureDraftGraphsTest {
    private static final float TOLERANCE = 5e-3f;

    private static Checkpoint checkpoint;
    private static FeatureDraft host;
    private static FeatureDraftModel graphs;

    @BeforeAll
    static void load() {
        String dir = System.getenv("MIRRORSD_AOTI_FEATURE_DRAFT");
        assertTrue(dir != null && Files.isDirectory(Path.of(dir)),
                "MIRRORSD_AOTI_FEATURE_DRAFT must name the export of models/feature-draft (see the class comment)");
        checkpoint = Checkpoint.open(SmolLM2Target.require());
        host = FeatureDraft.load(draftDir(), checkpoint.weights(), FeatureDraft.Precision.FLOAT32);
        graphs = Engines.get("aoti").loadFeatureDraft(Path.of(dir), DeviceId.parse("aoti:cpu"))
                .orElseThrow(() -> new AssertionError(dir + " is not a compiled feature draft"));
    }

    private static Path draftDir() {
        return Path.of(System.getProperty("mirrorsd.repo", ".."), "models", "feature-draft");
    }

    @AfterAll
    static void close() {
        if (graphs != null) {
            graphs.close();
        }
    }

    @Test
    void shouldStepAsTheHostDraftSteps() {
        assertEquals(host.draftVocab(), graphs.draftVocab());
        assertArrayEquals(host.draftToTarget(), graphs.draftToTarget());
        assertArrayEquals(host.featureLayers(), graphs.featureLayers());
        assertTrue(FeatureDraft.isSameDraft(draftDir(), graphs), "the export is of models/feature-draft");
        int capacity = 64;
        int hidden = host.hiddenSize();
        Random random = new Random(7);
        int[] tokens = random.ints(24, 0, host.targetVocab()).toArray();
        // features of the size the target's layer 24 gives (its residual stream's rows have norms of about 20-40)
        float[] features = new float[tokens.length * host.featureWidth()];
        for (int i = 0; i < features.length; i++) {
            features[i] = (float) random.nextGaussian() * 1.2f;
        }
        try (FeatureDraftModel.State a = host.newState(capacity); FeatureDraftModel.State b = graphs.newState(capacity)) {
            float[][] g = {new float[hidden], new float[hidden]};
            float[][] logits = {new float[host.draftVocab()], new float[host.draftVocab()]};
            FeatureDraftModel.State[] states = {a, b};
            // committed positions, each fed the target's features of the position before
            for (int p = 0; p < tokens.length; p++) {
                for (int s = 0; s < 2; s++) {
                    states[s].step(features, Math.max(0, p - 1) * host.featureWidth(), true, tokens[p], p, 0, g[s],
                            logits[s]);
                }
                assertClose(g, logits, "committed position " + p);
            }
            // a chain of the draft's own steps
            float[][] chained = {g[0].clone(), g[1].clone()};
            for (int i = 0; i < 4; i++) {
                int position = tokens.length + i;
                int token = argmax(logits[0]);
                for (int s = 0; s < 2; s++) {
                    states[s].step(chained[s], 0, false, host.draftToTarget()[token], position, 0, g[s], logits[s]);
                    chained[s] = g[s].clone();
                }
                assertClose(g, logits, "chained step " + i);
            }
            // two siblings at slots 40 and 41 and a child of the second at 42, which must not see the first
            int committedEnd = tokens.length - 1;
            int[][] extra = {{40}, {41}, {41, 42}};
            int[] slots = {40, 41, 42};
            int[] depth = {0, 0, 1};
            for (int n = 0; n < 3; n++) {
                for (int s = 0; s < 2; s++) {
                    states[s].treeStep(chained[s], tokens[n], tokens.length + depth[n], slots[n], 0, committedEnd,
                            extra[n], extra[n].length, g[s], logits[s]);
                }
                assertClose(g, logits, "tree node " + n);
            }
        }
    }

    @Test
    void shouldTellAnExportOfAnotherDraft(@TempDir Path dir) throws java.io.IOException {
        int[] d2t = java.util.stream.IntStream.range(0, 512).toArray();
        Path other = RandomFeatureDraft.write(dir, checkpoint.config(), new int[] {24}, d2t, 0.02, 3);
        assertFalse(FeatureDraft.isSameDraft(other, graphs), "a draft of another vocabulary passed for the export's");
    }

    @Test
    void shouldCatchUpInWindowsAsTheHostDraftDoesStepByStep() {
        int hidden = host.hiddenSize();
        int width = host.featureWidth();
        Random random = new Random(11);
        int count = 40; // more than the export's 16-row windows: three windows
        int[] tokens = random.ints(count + 2, 0, host.targetVocab()).toArray();
        float[] features = new float[(count + 1) * width]; // row i: the features of position i, fed to i + 1
        for (int i = 0; i < features.length; i++) {
            features[i] = (float) random.nextGaussian() * 1.2f;
        }
        try (FeatureDraftModel.State a = host.newState(64); FeatureDraftModel.State b = graphs.newState(64)) {
            float[][] g = {new float[hidden], new float[hidden]};
            float[][] logits = {new float[host.draftVocab()], new float[host.draftVocab()]};
            FeatureDraftModel.State[] states = {a, b};
            for (int s = 0; s < 2; s++) {
                states[s].fusedSteps(features, 0, width, tokens, 1, count, 0, g[s], logits[s]);
            }
            assertClose(g, logits, "after " + count + " positions in windows");
            // one more position, one row: it must see every position the windows wrote
            for (int s = 0; s < 2; s++) {
                states[s].fusedSteps(features, count * width, width, tokens, count + 1, 1, 0, g[s], logits[s]);
            }
            assertClose(g, logits, "the position after the windows");
        }
    }

    @Test
    void shouldStepATreeDepthAsOneWindowAsTheHostDraftStepsItsNodes() {
        int hidden = host.hiddenSize();
        int vocab = host.draftVocab();
        Random random = new Random(13);
        int committed = 20;
        int[] prompt = random.ints(committed, 0, host.targetVocab()).toArray();
        float[] features = new float[committed * host.featureWidth()];
        for (int i = 0; i < features.length; i++) {
            features[i] = (float) random.nextGaussian() * 1.2f;
        }
        try (FeatureDraftModel.State a = host.newState(64); FeatureDraftModel.State b = graphs.newState(64)) {
            FeatureDraftModel.State[] states = {a, b};
            float[][] root = {new float[hidden], new float[hidden]};
            for (int s = 0; s < 2; s++) {
                states[s].step(new float[host.featureWidth()], 0, true, prompt[0], 0, 0, root[s], null);
                states[s].fusedSteps(features, 0, host.featureWidth(), prompt, 1, committed - 1, 0, root[s], null);
            }
            // depth 1: three siblings at slots 40, 41, 42; depth 2: a child of 42 (slot 43) and of 40 (slot 44)
            int[][] tokens = {{prompt[3], prompt[5], prompt[7]}, {prompt[9], prompt[11]}};
            int[][] slots = {{40, 41, 42}, {43, 44}};
            int[][][] extra = {{{40}, {41}, {42}}, {{42, 43}, {40, 44}}};
            int[][] parents = {{-1, -1, -1}, {2, 0}};
            float[][][] depthOne = new float[2][3][hidden];
            for (int depth = 0; depth < 2; depth++) {
                int rows = tokens[depth].length;
                float[][] logits = new float[2][rows * vocab];
                float[][][] g = new float[2][rows][hidden];
                for (int s = 0; s < 2; s++) {
                    float[][] parentGs = new float[rows][];
                    int[] counts = new int[rows];
                    int[] positions = new int[rows];
                    for (int r = 0; r < rows; r++) {
                        parentGs[r] = parents[depth][r] < 0 ? root[s] : depthOne[s][parents[depth][r]];
                        counts[r] = extra[depth][r].length;
                        positions[r] = committed + depth;
                    }
                    states[s].treeSteps(parentGs, tokens[depth], positions, slots[depth], rows, 0, committed - 1,
                            extra[depth], counts, g[s], logits[s]);
                }
                for (int r = 0; r < rows; r++) {
                    float[][] rowG = {g[0][r], g[1][r]};
                    float[][] rowLogits = {java.util.Arrays.copyOfRange(logits[0], r * vocab, (r + 1) * vocab),
                            java.util.Arrays.copyOfRange(logits[1], r * vocab, (r + 1) * vocab)};
                    assertClose(rowG, rowLogits, "depth " + (depth + 1) + ", node " + r);
                }
                if (depth == 0) {
                    depthOne = g;
                }
            }
        }
    }

    @Test
    void shouldKeepTheTargetsGreedyTokensAsTheDraftOfSerialSpeculation() {
        try (CausalLM target = Engines.load(ModelSource.of(checkpoint.source(), checkpoint::weights, null), "java:cpu")) {
            GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(40).withIgnoreEos(true)
                    .withNumAssistantTokens(4);
            Generator autoregressive = Generators.build(Strategy.AUTOREGRESSIVE, target, checkpoint.tokenizer(),
                    checkpoint.chatTemplate(), DraftOptions.defaults());
            Generator onGraphs = Generators.build(Strategy.DRAFT, target, checkpoint.tokenizer(),
                    checkpoint.chatTemplate(), DraftOptions.defaults().withFeatureDraft(graphs));
            Generator onHost = Generators.build(Strategy.DRAFT, target, checkpoint.tokenizer(),
                    checkpoint.chatTemplate(), DraftOptions.defaults().withFeatureDraft(host));
            Generator treesOnGraphs = Generators.build(Strategy.DRAFT, target, checkpoint.tokenizer(),
                    checkpoint.chatTemplate(), DraftOptions.defaults().withFeatureDraft(graphs).withDynamicTree(4, 16));
            long graphsAccepted = 0;
            long hostAccepted = 0;
            for (String prompt : new String[] {"What is the capital of France?", "Write a haiku about the sea."}) {
                int[] ids = checkpoint.tokenizer().encode(prompt);
                GenerationResult expected = autoregressive.generateFromIds(ids, config, (t, s) -> { }, new Cancellation());
                GenerationResult actual = onGraphs.generateFromIds(ids, config, (t, s) -> { }, new Cancellation());
                GenerationResult java = onHost.generateFromIds(ids, config, (t, s) -> { }, new Cancellation());
                assertArrayEquals(expected.tokenIds(), actual.tokenIds(), "the compiled draft changed the output of " + prompt);
                GenerationResult tree = treesOnGraphs.generateFromIds(ids, config, (t, s) -> { }, new Cancellation());
                assertArrayEquals(expected.tokenIds(), tree.tokenIds(), "the compiled draft's trees changed the output of "
                        + prompt);
                assertTrue(tree.stats().acceptedTokens() > actual.stats().acceptedTokens() / 2,
                        "trees accepted " + tree.stats().acceptedTokens() + " tokens, chains " + actual.stats().acceptedTokens()
                        + (tree.stats().draftFailure() == null ? "" : "; the draft failed: " + tree.stats().draftFailure()));
                graphsAccepted += actual.stats().acceptedTokens();
                hostAccepted += java.stats().acceptedTokens();
            }
            assertTrue(graphsAccepted > 0, "the compiled draft never had a token accepted: the test would prove nothing");
            // the same draft in float32 either way: it proposes the same tokens but where two logits all but tie
            assertTrue(Math.abs(graphsAccepted - hostAccepted) <= 2,
                    "accepted tokens: compiled draft " + graphsAccepted + ", host draft " + hostAccepted);
        }
    }

    private static void assertClose(float[][] g, float[][] logits, String where) {
        assertTrue(maxDiff(g[0], g[1]) <= TOLERANCE * Math.max(1f, maxAbs(g[0])),
                where + ": g differs by " + maxDiff(g[0], g[1]));
        assertTrue(maxDiff(logits[0], logits[1]) <= TOLERANCE * Math.max(1f, maxAbs(logits[0])),
                where + ": logits differ by " + maxDiff(logits[0], logits[1]));
    }

    private static float maxDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }
}
