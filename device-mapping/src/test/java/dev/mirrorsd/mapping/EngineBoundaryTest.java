package dev.mirrorsd.mapping;

import dev.mirrorsd.core.engine.Backend;
import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.core.engine.EngineProvider;
import dev.mirrorsd.core.engine.Engines;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Engines are plug-ins: found through ServiceLoader, and named by no class outside their modules. */
class EngineBoundaryTest {

    /** An engine's classes, or the native libraries behind them. */
    private static final Pattern ENGINE_IMPORT = Pattern.compile(
            "^import (static )?(dev\\.mirrorsd\\.engine\\.|ai\\.djl\\.(pytorch|engine|ndarray|Device)|ai\\.onnxruntime)",
            Pattern.MULTILINE);

    @Test
    void shouldFindEachEngineModuleThroughServiceLoader() {
        List<String> names = Engines.all().stream().map(EngineProvider::name).collect(Collectors.toList());
        assertEquals(List.of("aoti", "java", "onnxruntime", "pytorch"), names);
    }

    @Test
    void shouldParseBackEveryBackendAnEngineLists() {
        for (Backend backend : Engines.backends()) {
            String spelled = backend.engine() + ":" + backend.device() + (backend.indexed() ? "1" : "");
            DeviceId id = DeviceId.parse(spelled);
            assertEquals(backend, id.backend());
            assertEquals(spelled, id.toString());
        }
    }

    @Test
    void shouldNameTheInstalledEnginesWhenAskedForAnother() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engines.get("tensorflow"));
        assertTrue(e.getMessage().contains("aoti, java, onnxruntime, pytorch"), e.getMessage());
    }

    @Test
    void shouldKeepEngineClassesInsideTheEngineModules() throws IOException {
        Path repo = Path.of(System.getProperty("mirrorsd.repo", "..")).toAbsolutePath().normalize();
        List<String> offenders;
        try (Stream<Path> files = Files.walk(repo)) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> !repo.relativize(p).getName(0).toString().startsWith("engine-"))
                    .filter(p -> !repo.relativize(p).toString().contains("/target/")
                            && !repo.relativize(p).startsWith("build"))
                    .filter(p -> ENGINE_IMPORT.matcher(read(p)).find())
                    .map(p -> repo.relativize(p).toString())
                    .collect(Collectors.toList());
        }
        assertTrue(offenders.size() == 0, "engine classes imported outside engine modules: " + offenders);
        assertTrue(Files.isDirectory(repo.resolve("engine-djl")), "the scan ran over " + repo);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
