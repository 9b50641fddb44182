package dev.mirrorsd.engine.aoti;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AotiRuntimeTest {

    @TempDir
    Path dir;

    @Test
    void shouldSayWhereToPointWhenLibtorchIsAbsent() {
        AotiUnavailableException e = assertThrows(AotiUnavailableException.class, () -> AotiRuntime.torchLibraries(dir));
        assertTrue(e.getMessage().contains("libc10.so"), e.getMessage());
        assertTrue(e.getMessage().contains(AotiRuntime.TORCH_LIB_PROPERTY), e.getMessage());
    }

    @Test
    void shouldLoadTheCpuLibrariesFirstAndTheCudaOnesOnlyWhenPresent() throws Exception {
        for (String name : List.of("libc10.so", "libtorch_cpu.so", "libtorch.so")) {
            Files.writeString(dir.resolve(name), "");
        }
        List<Path> libraries = AotiRuntime.torchLibraries(dir);
        assertEquals(List.of(dir.resolve("libc10.so"), dir.resolve("libtorch_cpu.so"), dir.resolve("libtorch.so")), libraries);
    }

    @Test
    void shouldSayHowToBuildTheShimWhenTheNamedOneIsMissing() {
        String previous = System.setProperty(AotiRuntime.SHIM_PROPERTY, dir.resolve("nope.so").toString());
        try {
            AotiUnavailableException e = assertThrows(AotiUnavailableException.class, AotiRuntime::findShim);
            assertTrue(e.getMessage().contains("build-shim.sh"), e.getMessage());
        } finally {
            if (previous == null) {
                System.clearProperty(AotiRuntime.SHIM_PROPERTY);
            } else {
                System.setProperty(AotiRuntime.SHIM_PROPERTY, previous);
            }
        }
    }

    @Test
    void shouldShipAShimThatDefinesEveryNativeMethod() {
        String source = new String(AotiRuntime.shimSource(), StandardCharsets.UTF_8);
        for (Method m : AotiNative.class.getDeclaredMethods()) {
            if (Modifier.isNative(m.getModifiers())) {
                String symbol = "Java_dev_mirrorsd_engine_aoti_AotiNative_" + m.getName() + "(";
                assertTrue(source.contains(symbol), "the shim lacks " + symbol);
            }
        }
    }

    @Test
    void shouldReportAPythonWithoutTorchAsUnavailable() {
        AotiUnavailableException e = assertThrows(AotiUnavailableException.class,
                () -> AotiRuntime.askPython(dir.resolve("no-python").toString()));
        assertTrue(e.getMessage().contains(AotiRuntime.TORCH_LIB_PROPERTY), e.getMessage());
    }
}
