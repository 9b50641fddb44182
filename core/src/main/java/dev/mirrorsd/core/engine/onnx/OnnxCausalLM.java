package dev.mirrorsd.core.engine.onnx;

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

    private OnnxCausalLM(OrtEnvironment env, OrtSession.SessionOptions sessionOptions, OrtSession session,
                         OnnxSidecar sidecar, String device) {
        this.env = env;
        this.sessionOptions = sessionOptions;
        this.session = session;
        this.sidecar = sidecar;
        this.device = device;
    }

    /**
     * Opens {@code modelDir/model.onnx} with the given provider and thread pools.
     *
     * @throws ModelFormatException             the model or its sidecar is missing or does not match
     * @throws OnnxProviderUnavailableException the provider is not in the installed runtime
     */
    public static OnnxCausalLM load(Path modelDir, OnnxOptions options) {
        Path modelFile = modelDir.resolve(MODEL_FILE);
        if (!Files.isRegularFile(modelFile)) {
            throw new ModelFormatException("no ONNX model at " + modelFile.toAbsolutePath()
                    + "; export one with tools/export/export_onnx.py");
        }
        OnnxSidecar sidecar = OnnxSidecar.read(modelDir);
        requireAvailable(options.provider());
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions();
        try {
            sessionOptions.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            sessionOptions.setIntraOpNumThreads(options.intraOpThreads());
            sessionOptions.setInterOpNumThreads(options.interOpThreads());
            options.provider().addTo(sessionOptions, options.deviceId());
            OrtSession session = env.createSession(modelFile.toString(), sessionOptions);
            OnnxCausalLM lm = new OnnxCausalLM(env, sessionOptions, session, sidecar, deviceName(options));
            lm.checkNames(modelFile);
            return lm;
        } catch (OrtException e) {
            sessionOptions.close();
            throw new ModelFormatException("onnxruntime cannot open " + modelFile + " with " + options.provider()
                    + ": " + e.getMessage(), e);
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

    // every name the sidecar promises must be in the graph
    private void checkNames(Path modelFile) {
        List<String> inputs = new ArrayList<>(List.of(sidecar.inputIds(), sidecar.positionIds(), sidecar.attentionMask()));
        inputs.addAll(sidecar.pastKeys());
        inputs.addAll(sidecar.pastValues());
        List<String> outputs = new ArrayList<>(List.of(sidecar.logits()));
        outputs.addAll(sidecar.presentKeys());
        outputs.addAll(sidecar.presentValues());
        outputs.addAll(sidecar.exitLogits().values());
        List<String> missing = new ArrayList<>();
        inputs.stream().filter(n -> !session.getInputNames().contains(n)).forEach(n -> missing.add("input " + n));
        outputs.stream().filter(n -> !session.getOutputNames().contains(n)).forEach(n -> missing.add("output " + n));
        if (!missing.isEmpty()) {
            close();
            throw new ModelFormatException(modelFile + " does not match its sidecar: missing " + missing);
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
