package dev.mirrorsd.core.engine;

import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Where a model runs: a backend (engine and device kind) and, for indexed backends, the device
 * index. Written in plans as {@code engine:device[index]}: {@code pytorch:cpu}, {@code pytorch:gpu0},
 * {@code onnxruntime:cpu}, {@code onnxruntime:cuda1}, {@code aoti:gpu1}.
 *
 * @param backend engine and device kind
 * @param index   device index; 0 for backends that are not indexed
 */
public record DeviceId(Backend backend, int index) {

    public DeviceId {
        Objects.requireNonNull(backend, "backend");
        if (index < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + index);
        }
        if (!backend.indexed() && index != 0) {
            throw new IllegalArgumentException(backend.engine() + ":" + backend.device()
                    + " takes no device index, got " + index);
        }
    }

    /**
     * Reads {@code engine:device[index]} against the backends of the engines installed
     * ({@link Engines}); case does not matter.
     *
     * @throws IllegalArgumentException the text names no installed backend, or gives an index one does not take
     */
    public static DeviceId parse(String text) {
        String spec = text.strip().toLowerCase(Locale.ROOT);
        int colon = spec.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(text + ": expected ENGINE:DEVICE, one of " + allSpellings());
        }
        String engine = spec.substring(0, colon);
        String rest = spec.substring(colon + 1);
        int digits = rest.length();
        while (digits > 0 && Character.isDigit(rest.charAt(digits - 1))) {
            digits--;
        }
        String name = rest.substring(0, digits);
        String index = rest.substring(digits);
        for (Backend backend : Engines.backends()) {
            if (backend.engine().equals(engine) && backend.device().equals(name)) {
                int i = index.isEmpty() ? 0 : parseIndex(text, index);
                if (!backend.indexed() && i != 0) {
                    throw new IllegalArgumentException(text + ": " + engine + ":" + name + " takes no device index");
                }
                return new DeviceId(backend, i);
            }
        }
        throw new IllegalArgumentException(text + " names no device of an installed engine; valid: " + allSpellings());
    }

    private static int parseIndex(String text, String index) {
        try {
            return Integer.parseInt(index);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(text + ": device index " + index + " is too large");
        }
    }

    /** "pytorch:cpu, pytorch:gpuN, onnxruntime:cpu, ...", or a note that no engine is installed. */
    public static String allSpellings() {
        String all = Engines.backends().stream().map(Backend::spelling).collect(Collectors.joining(", "));
        return all.isEmpty() ? "none (no engine module is on the class path)" : all;
    }

    /** The engine's name ("pytorch"). */
    public String engine() {
        return backend.engine();
    }

    public DeviceKind kind() {
        return backend.kind();
    }

    /** The plan spelling, e.g. {@code pytorch:gpu0}. */
    @Override
    public String toString() {
        return backend.engine() + ":" + backend.device() + (backend.indexed() ? Integer.toString(index) : "");
    }
}
