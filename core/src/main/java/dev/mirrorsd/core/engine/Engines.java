package dev.mirrorsd.core.engine;

import dev.mirrorsd.core.model.CausalLM;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The engines on the class path, found once through {@link ServiceLoader}: a new engine is a new
 * module that registers an {@link EngineProvider}, and no other module changes.
 */
public final class Engines {

    private static volatile List<EngineProvider> installed;

    private Engines() {
    }

    /** Every installed engine, by name. */
    public static List<EngineProvider> all() {
        List<EngineProvider> found = installed;
        if (found == null) {
            synchronized (Engines.class) {
                if (installed == null) {
                    List<EngineProvider> loaded = new ArrayList<>();
                    ServiceLoader.load(EngineProvider.class, Engines.class.getClassLoader()).forEach(loaded::add);
                    loaded.sort(Comparator.comparing(EngineProvider::name));
                    installed = List.copyOf(loaded);
                }
                found = installed;
            }
        }
        return found;
    }

    /**
     * The engine named {@code name}.
     *
     * @throws IllegalArgumentException no installed engine has that name
     */
    public static EngineProvider get(String name) {
        for (EngineProvider provider : all()) {
            if (provider.name().equals(name)) {
                return provider;
            }
        }
        throw new IllegalArgumentException("no engine named " + name + " is installed; installed: "
                + (all().isEmpty() ? "none (add an engine module, e.g. engine-djl, to the class path)"
                        : all().stream().map(EngineProvider::name).collect(Collectors.joining(", "))));
    }

    /** The backends of every installed engine. */
    public static List<Backend> backends() {
        return all().stream().flatMap(p -> p.backends().stream()).collect(Collectors.toList());
    }

    /** Loads {@code source} with the engine that {@code device} belongs to; see {@link EngineProvider#load}. */
    public static CausalLM load(ModelSource source, DeviceId device, int threads) {
        return get(device.engine()).load(source, device, threads);
    }

    /** Loads {@code source} on the device a plan spells {@code device} ("pytorch:cpu"), with the engine's default threads. */
    public static CausalLM load(ModelSource source, String device) {
        return load(source, DeviceId.parse(device), 0);
    }
}
