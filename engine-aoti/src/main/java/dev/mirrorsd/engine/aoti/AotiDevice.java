package dev.mirrorsd.engine.aoti;

import java.util.Locale;

/**
 * Where a compiled graph runs: the CPU or one CUDA GPU.
 *
 * @param cuda  true for a CUDA device
 * @param index the CUDA device index; 0 for the CPU
 */
public record AotiDevice(boolean cuda, int index) {

    public AotiDevice {
        if (index < 0 || (!cuda && index != 0)) {
            throw new IllegalArgumentException("bad AOTI device index " + index + (cuda ? "" : " for the CPU"));
        }
    }

    public static AotiDevice cpu() {
        return new AotiDevice(false, 0);
    }

    public static AotiDevice gpu(int index) {
        return new AotiDevice(true, index);
    }

    /** Reads {@code cpu}, {@code cuda}, {@code cuda:1}, {@code gpu1}. */
    public static AotiDevice parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return cpu();
        }
        for (String prefix : new String[] {"cuda:", "cuda", "gpu"}) {
            if (s.startsWith(prefix)) {
                String rest = s.substring(prefix.length());
                try {
                    return gpu(rest.isEmpty() ? 0 : Integer.parseInt(rest));
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not an AOTI device; expected cpu, cuda, cuda:N or gpuN");
    }

    /** The manifest's device kind: "cuda" or "cpu". */
    String kind() {
        return cuda ? "cuda" : "cpu";
    }

    /** libtorch's spelling: "cpu", "cuda:1". */
    String torchName() {
        return cuda ? "cuda:" + index : "cpu";
    }

    int typeCode() {
        return cuda ? AotiNative.CUDA : AotiNative.CPU;
    }

    /** The plan spelling: "aoti:gpu0", "aoti:cpu". */
    @Override
    public String toString() {
        return cuda ? "aoti:gpu" + index : "aoti:cpu";
    }
}
