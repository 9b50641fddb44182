package dev.mirrorsd.engine.aoti;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * libtorch from the user's PyTorch install and mirror-sd's JNI shim, loaded once per process.
 *
 * <p>libtorch is found, in order: the system property {@value #TORCH_LIB_PROPERTY}, the environment
 * variable {@code MIRRORSD_TORCH_LIB} (a directory holding {@code libtorch_cpu.so}), or by asking
 * Python ({@value #PYTHON_PROPERTY} / {@code MIRRORSD_PYTHON}, default {@code python3}) where
 * {@code torch} is installed. The shim is {@value #SHIM_PROPERTY} / {@code MIRRORSD_AOTI_SHIM} if
 * set; otherwise it is compiled once from the C source shipped in this jar with the system C
 * compiler ({@code cc}; a JDK's {@code include/jni.h} is needed) into
 * {@code ~/.cache/mirror-sd/native/}. Thread-safe.
 */
public final class AotiRuntime {

    public static final String TORCH_LIB_PROPERTY = "mirrorsd.torch.lib";
    public static final String SHIM_PROPERTY = "mirrorsd.aoti.shim";
    public static final String PYTHON_PROPERTY = "mirrorsd.python";
    static final String SHIM_SOURCE = "mirrorsd_aoti.c";

    /** libtorch's libraries in load order; the CUDA ones are optional (a CPU-only PyTorch has none). */
    private static final String[] REQUIRED = {"libc10.so", "libtorch_cpu.so"};
    private static final String[] OPTIONAL = {"libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"};

    private static AotiRuntime instance;
    private static Path loadedShim;

    private final Path torchLib;
    private final Path shim;

    private AotiRuntime(Path torchLib, Path shim) {
        this.torchLib = torchLib;
        this.shim = shim;
    }

    /**
     * The process's runtime, loading libtorch and the shim on first use.
     *
     * @throws AotiUnavailableException no libtorch or no shim could be found or loaded
     */
    public static synchronized AotiRuntime get() {
        if (instance == null) {
            Path torchLib = findTorchLib();
            List<Path> libraries = torchLibraries(torchLib);
            Path shim = loadShim();
            try {
                AotiNative.openLibraries(libraries.stream().map(p -> p.toAbsolutePath().toString()).toArray(String[]::new));
            } catch (UnsatisfiedLinkError | IllegalStateException e) {
                throw new AotiUnavailableException("cannot load libtorch from " + torchLib + " through the shim " + shim
                        + ": " + e.getMessage(), e);
            }
            instance = new AotiRuntime(torchLib, shim);
        }
        return instance;
    }

    /**
     * What device discovery needs without loading libtorch (which must be loaded at most once per
     * process, and never beside DJL's): the PyTorch install's lib directory and the CUDA GPUs the
     * driver reports, through the shim alone.
     *
     * @param torchLib    the directory libtorch would be loaded from
     * @param cudaDevices CUDA GPUs the driver reports (0 without a driver)
     * @throws AotiUnavailableException no PyTorch install or no shim
     */
    public record Probe(Path torchLib, int cudaDevices) {
    }

    public static synchronized Probe probe() {
        Path torchLib = findTorchLib();
        torchLibraries(torchLib);
        loadShim();
        return new Probe(torchLib, AotiNative.cudaDeviceCount());
    }

    private static synchronized Path loadShim() {
        if (loadedShim == null) {
            Path shim = findShim();
            try {
                System.load(shim.toAbsolutePath().toString());
            } catch (UnsatisfiedLinkError e) {
                throw new AotiUnavailableException("cannot load the AOTI shim " + shim + ": " + e.getMessage(), e);
            }
            loadedShim = shim;
        }
        return loadedShim;
    }

    /** CUDA devices the driver reports (0 without an NVIDIA driver). */
    public int cudaDevices() {
        return AotiNative.cudaDeviceCount();
    }

    /** The directory libtorch was loaded from. */
    public Path torchLib() {
        return torchLib;
    }

    /** "libtorch from /usr/lib/python3/dist-packages/torch/lib". */
    public String describe() {
        return "libtorch from " + torchLib;
    }

    /** Throws unless {@code device} exists here. */
    void require(AotiDevice device) {
        if (device.cuda()) {
            int n = cudaDevices();
            if (device.index() >= n) {
                throw new AotiUnavailableException(device + " does not exist: the CUDA driver reports " + n + " GPU"
                        + (n == 1 ? "" : "s"));
            }
        }
    }

    // ---- locating libtorch ------------------------------------------------------------------

    static Path findTorchLib() {
        String named = setting(TORCH_LIB_PROPERTY, "MIRRORSD_TORCH_LIB");
        if (named != null) {
            return Path.of(named);
        }
        String python = setting(PYTHON_PROPERTY, "MIRRORSD_PYTHON");
        return askPython(python == null ? "python3" : python);
    }

    /** The libraries to dlopen, in order; throws naming what is missing. */
    static List<Path> torchLibraries(Path dir) {
        List<Path> out = new ArrayList<>();
        for (String name : REQUIRED) {
            Path p = dir.resolve(name);
            if (!Files.isRegularFile(p)) {
                throw new AotiUnavailableException("no " + name + " in " + dir.toAbsolutePath() + ": point -D"
                        + TORCH_LIB_PROPERTY + " (or MIRRORSD_TORCH_LIB) at the lib directory of a PyTorch install"
                        + " (python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),\"lib\"))')");
            }
            out.add(p);
        }
        for (String name : OPTIONAL) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                out.add(p);
            }
        }
        return out;
    }

    static Path askPython(String python) {
        String script = "import torch,os;print(os.path.join(os.path.dirname(torch.__file__),'lib'))";
        try {
            Process p = new ProcessBuilder(python, "-c", script).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            String text = new String(out, StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0 || text.isEmpty()) {
                throw new AotiUnavailableException(python + " cannot import torch (" + lastLine(text) + "): install PyTorch,"
                        + " or set -D" + TORCH_LIB_PROPERTY + "=DIR (MIRRORSD_TORCH_LIB) to a directory holding libtorch_cpu.so");
            }
            return Path.of(lastLine(text));
        } catch (IOException e) {
            throw new AotiUnavailableException("cannot run " + python + " to find PyTorch (" + e.getMessage() + "): set -D"
                    + TORCH_LIB_PROPERTY + "=DIR (MIRRORSD_TORCH_LIB) to a directory holding libtorch_cpu.so", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AotiUnavailableException("interrupted while asking " + python + " where PyTorch is", e);
        }
    }

    private static String lastLine(String text) {
        String[] lines = text.split("\n");
        return lines[lines.length - 1].trim();
    }

    // ---- the shim ---------------------------------------------------------------------------

    static Path findShim() {
        String named = setting(SHIM_PROPERTY, "MIRRORSD_AOTI_SHIM");
        if (named != null) {
            Path p = Path.of(named);
            if (!Files.isRegularFile(p)) {
                throw new AotiUnavailableException("the AOTI shim " + p.toAbsolutePath() + " (" + SHIM_PROPERTY
                        + ") does not exist; build it with tools/gpu/build-shim.sh");
            }
            return p;
        }
        return buildShim(Path.of(System.getProperty("user.home"), ".cache", "mirror-sd", "native"));
    }

    /** Compiles the shim's C source into {@code cacheDir/<hash>/} unless it is there already. */
    static Path buildShim(Path cacheDir) {
        byte[] source = shimSource();
        Path dir = cacheDir.resolve(HexFormat.of().formatHex(sha256(source), 0, 8));
        Path library = dir.resolve("libmirrorsd_aoti.so");
        if (Files.isRegularFile(library)) {
            return library;
        }
        Path jdk = Path.of(System.getProperty("java.home"));
        if (!Files.isRegularFile(jdk.resolve("include/jni.h"))) {
            throw new AotiUnavailableException("the AOTI shim is not built and this Java runtime (" + jdk
                    + ") has no include/jni.h to build it: run tools/gpu/build-shim.sh with a JDK and pass -D"
                    + SHIM_PROPERTY + "=PATH (or MIRRORSD_AOTI_SHIM)");
        }
        try {
            Files.createDirectories(dir);
            Path c = dir.resolve(SHIM_SOURCE);
            Files.write(c, source);
            Path tmp = Files.createTempFile(dir, "libmirrorsd_aoti", ".so");
            Process p = new ProcessBuilder("cc", "-O2", "-shared", "-fPIC", "-I" + jdk.resolve("include"),
                    "-I" + jdk.resolve("include/linux"), c.toString(), "-ldl", "-o", tmp.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new AotiUnavailableException("cc could not build the AOTI shim from " + c + ":\n" + log);
            }
            Files.move(tmp, library, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return library;
        } catch (IOException e) {
            throw new AotiUnavailableException("cannot build the AOTI shim with cc in " + dir + ": " + e.getMessage()
                    + "; build it with tools/gpu/build-shim.sh and pass -D" + SHIM_PROPERTY + "=PATH", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AotiUnavailableException("interrupted while building the AOTI shim", e);
        }
    }

    static byte[] shimSource() {
        try (InputStream in = AotiRuntime.class.getResourceAsStream(SHIM_SOURCE)) {
            if (in == null) {
                throw new IllegalStateException(SHIM_SOURCE + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + SHIM_SOURCE + ": " + e.getMessage(), e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }
}
