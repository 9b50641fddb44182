package dev.mirrorsd.engine.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import dev.mirrorsd.core.engine.Accelerator;
import dev.mirrorsd.core.engine.Backend;
import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.engine.EngineProvider;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.engine.ModelSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Collectors;

/**
 * ONNX Runtime: one graph per model (an export's folder holding {@code model.onnx} and its
 * sidecar), each session with thread pools of its own, on any execution provider the installed
 * runtime offers. A whole-graph engine: it cannot stop at an early-exit layer.
 */
public final class OnnxEngineProvider implements EngineProvider {

    public static final String NAME = "onnxruntime";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Backend> backends() {
        return Arrays.stream(OnnxProvider.values()).map(OnnxProvider::backend).collect(Collectors.toList());
    }

    @Override
    public Discovery discover() {
        EnumSet<OrtProvider> available;
        String version;
        try {
            available = OrtEnvironment.getAvailableProviders();
            version = OrtEnvironment.getEnvironment().getVersion();
        } catch (RuntimeException | LinkageError e) {
            // LinkageError: ONNX Runtime's classes or natives are missing or do not load on this platform
            return Discovery.unavailable("ONNX Runtime failed to load: " + e);
        }
        List<Accelerator> found = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (OrtProvider ort : available) {
            OnnxProvider driven = Arrays.stream(OnnxProvider.values()).filter(p -> p.ortProvider() == ort)
                    .findFirst().orElse(null);
            if (driven == null) {
                notes.add("ONNX Runtime " + version + " offers " + ort.getName() + ", which mirror-sd does not drive");
                continue;
            }
            // ONNX Runtime does not count GPUs; device 0 is listed, others work if present
            found.add(new Accelerator(new DeviceId(driven.backend(), 0), ort.getName() + ", onnxruntime " + version));
        }
        return new Discovery(found, notes);
    }

    /** A folder holding an ONNX export: {@code model.onnx}, or the sidecar naming its graph. */
    @Override
    public boolean accepts(Path model) {
        return Files.isRegularFile(model.resolve(OnnxCausalLM.MODEL_FILE))
                || Files.isRegularFile(model.resolve(OnnxSidecar.FILE_NAME));
    }

    @Override
    public CausalLM load(ModelSource source, DeviceId device, int threads) {
        return OnnxCausalLM.load(source.path(), options(device, threads), source.inputEmbedding().orElse(null));
    }

    /** Session options for {@code device}: {@code threads} per operator, one inter-op thread. */
    static OnnxOptions options(DeviceId device, int threads) {
        OnnxProvider provider = Arrays.stream(OnnxProvider.values()).filter(p -> p.backend().equals(device.backend()))
                .findFirst().orElseThrow(() -> new IllegalArgumentException(device + " is not an onnxruntime device"));
        return new OnnxOptions(provider, device.index(), threads, 1);
    }

    @Override
    public boolean earlyExit() {
        return false;
    }
}
