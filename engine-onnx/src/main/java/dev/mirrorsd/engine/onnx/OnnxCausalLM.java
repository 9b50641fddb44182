package dev.mirrorsd.engine.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.ModelConfig;
import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.Sequence;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * A Llama-family decoder exported by {@code tools/export/export_onnx.py}, run by ONNX Runtime.
 * The folder holds {@code model.onnx} and its sidecar {@code mirror-sd-onnx.json}. One session
 * (weights and thread pools) is shared by every sequence; each sequence keeps its KV cache in
 * host memory and feeds it to the graph as {@code past_key.{i}} / {@code past_value.{i}}. A graph
 * exported with {@code --early-exit-layer K} also gives early-exit proxy logits after K layers.
 * A graph whose sidecar names {@code inputs_embeds} (the project's draft, which shares the target's
 * embedding) is fed embedding rows looked up in a matrix given to {@link #load(Path, OnnxOptions, float[])};
 * its sidecar names the graph file, may narrow the LM head ({@code logits_width}) and may add
 * multi-token heads ({@code mtp_logits}).
 *
 * <p>Thread-safety: {@link #newSequence} and sequences on different threads are safe
 * ({@code OrtSession.run} is thread-safe); each sequence is used by one thread at a time.
 */
public final class OnnxCausalLM implements CausalLM {

    public static final String MODEL_FILE = "model.onnx";

    private final OrtEnvironment env;
    private final OrtSession.SessionOptions sessionOptions;
    private final OrtSession session;
    private final OnnxSidecar sidecar;
    private final String device;
    private final float[] embedding; // (vocab, hidden) when the graph takes inputs_embeds, else null

    private OnnxCausalLM(OrtEnvironment env, OrtSession.SessionOptions sessionOptions, OrtSession session,
                         OnnxSidecar sidecar, String device, float[] embedding) {
        this.env = env;
        this.sessionOptions = sessionOptions;
        this.session = session;
        this.sidecar = sidecar;
        this.device = device;
        this.embedding = embedding;
    }

    /**
     * Opens the graph of {@code modelDir} ({@code model.onnx} unless the sidecar names another file)
     * with the given provider and thread pools. The graph must take {@code input_ids}.
     *
     * @throws ModelFormatException             the model or its sidecar is missing or does not match,
     *                                          or the graph takes embeddings (use the overload)
     * @throws OnnxProviderUnavailableException the provider is not in the installed runtime
     */
    public static OnnxCausalLM load(Path modelDir, OnnxOptions options) {
        return load(modelDir, options, null);
    }

    /**
     * As {@link #load(Path, OnnxOptions)}, for a graph that takes {@code inputs_embeds}: the window's
     * token {@code t} is fed as row {@code t} of {@code inputEmbedding}, row-major {@code (vocab, hidden)}
     * (the sidecar's sizes). Not copied: the caller must not change it while the model is open.
     *
     * @param inputEmbedding the embedding matrix, or null for a graph that takes {@code input_ids}
     */
    public static OnnxCausalLM load(Path modelDir, OnnxOptions options, float[] inputEmbedding) {
        Path sidecarFile = modelDir.resolve(OnnxSidecar.FILE_NAME);
        OnnxSidecar sidecar = Files.isRegularFile(sidecarFile) ? OnnxSidecar.read(modelDir) : null;
        Path modelFile = modelDir.resolve(sidecar == null ? MODEL_FILE : sidecar.modelFile());
        if (!Files.isRegularFile(modelFile)) {
            throw new ModelFormatException("no ONNX model at " + modelFile.toAbsolutePath()
                    + "; export one with tools/export/export_onnx.py");
        }
        if (sidecar == null) {
            sidecar = OnnxSidecar.read(modelDir); // names the missing sidecar
        }
        checkEmbedding(modelDir, sidecar, inputEmbedding);
        requireAvailable(options.provider());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions();
        try {
            sessionOptions.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            sessionOptions.setIntraOpNumThreads(options.intraOpThreads());
            sessionOptions.setInterOpNumThreads(options.interOpThreads());
            options.provider().addTo(sessionOptions, options.deviceId());
            OrtSession session = env.createSession(modelFile.toString(), sessionOptions);
            OnnxCausalLM lm = new OnnxCausalLM(env, sessionOptions, session, sidecar, deviceName(options),
                    inputEmbedding);
            lm.checkNames(modelFile);
            return lm;
        } catch (OrtException e) {
            sessionOptions.close();
            throw new ModelFormatException("onnxruntime cannot open " + modelFile + " with " + options.provider()
                    + ": " + e.getMessage(), e);
        }
    }

    private static void checkEmbedding(Path modelDir, OnnxSidecar sidecar, float[] embedding) {
        ModelConfig c = sidecar.config();
        if (sidecar.takesEmbeddings() && embedding == null) {
            throw new ModelFormatException(modelDir + ": the graph takes " + sidecar.inputsEmbeds() + " (1, W, "
                    + c.hiddenSize() + "), not token ids: pass the (" + c.vocabSize() + ", " + c.hiddenSize()
                    + ") input embedding matrix to OnnxCausalLM.load(dir, options, embedding)"
                    + " (the project's draft: DraftCheckpoint.loadOnnx with the target's weights)");
        }
        if (!sidecar.takesEmbeddings() && embedding != null) {
            throw new IllegalArgumentException(modelDir + ": the graph takes " + sidecar.inputIds()
                    + " and embeds tokens itself; it needs no embedding matrix");
        }
        if (embedding != null && embedding.length != (long) c.vocabSize() * c.hiddenSize()) {
            throw new IllegalArgumentException(modelDir + ": the embedding holds " + embedding.length
                    + " floats; the graph wants (" + c.vocabSize() + ", " + c.hiddenSize() + ") = "
                    + (long) c.vocabSize() * c.hiddenSize());
        }
    }

    private static void requireAvailable(OnnxProvider provider) {
        EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
        if (!available.contains(provider.ortProvider())) {
            throw new OnnxProviderUnavailableException("execution provider " + provider
                    + " is not available in the installed ONNX Runtime (" + OrtEnvironment.getEnvironment().getVersion()
                    + "); available: " + available);
        }
    }

    private static String deviceName(OnnxOptions options) {
        String name = "onnxruntime:" + options.provider().name().toLowerCase(Locale.ROOT);
        boolean indexed = options.provider() == OnnxProvider.CUDA || options.provider() == OnnxProvider.TENSORRT;
        return indexed ? name + ":" + options.deviceId() : name;
    }

    // every name the sidecar promises must be in the graph, and every graph input must be fed
    private void checkNames(Path modelFile) {
        List<String> inputs = sidecar.inputNames();
        List<String> missing = new ArrayList<>();
        inputs.stream().filter(n -> !session.getInputNames().contains(n)).forEach(n -> missing.add("input " + n));
        sidecar.outputNames().stream().filter(n -> !session.getOutputNames().contains(n))
                .forEach(n -> missing.add("output " + n));
        List<String> unfed = session.getInputNames().stream().filter(n -> !inputs.contains(n)).sorted().toList();
        if (!missing.isEmpty() || !unfed.isEmpty()) {
            close();
            throw new ModelFormatException(modelFile + " does not match its sidecar: missing " + missing
                    + (unfed.isEmpty() ? "" : "; graph inputs the sidecar does not name: " + unfed));
        }
    }

    @Override
    public ModelConfig config() {
        return sidecar.config();
    }

    @Override
    public Sequence newSequence(int capacity) {
        return new OnnxSequence(this, capacity);
    }

    @Override
    public String device() {
        return device;
    }

    OrtEnvironment environment() {
        return env;
    }

    OrtSession session() {
        return session;
    }

    OnnxSidecar sidecar() {
        return sidecar;
    }

    /** The input embedding matrix {@code (vocab, hidden)}, or null when the graph takes token ids. */
    float[] embedding() {
        return embedding;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the onnxruntime session failed: " + e.getMessage(), e);
        } finally {
            sessionOptions.close();
        }
    }
}
