package dev.mirrorsd.devices;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The CPU as the JVM and, on Linux, {@code /proc/cpuinfo} see it.
 *
 * @param logicalProcessors processors the JVM may use ({@code Runtime.availableProcessors()})
 * @param physicalCores     distinct (socket, core) pairs, or {@code logicalProcessors} when unknown
 * @param sockets           distinct physical packages, or 1 when unknown
 * @param model             model name, or "unknown"
 */
public record CpuInfo(int logicalProcessors, int physicalCores, int sockets, String model) {

    public CpuInfo {
        if (logicalProcessors < 1 || physicalCores < 1 || sockets < 1) {
            throw new IllegalArgumentException("cpu counts must be >= 1: " + logicalProcessors + " logical, "
                    + physicalCores + " cores, " + sockets + " sockets");
        }
    }

    /** This machine's CPU; falls back to the JVM's processor count where /proc/cpuinfo is absent. */
    public static CpuInfo discover() {
        int logical = Runtime.getRuntime().availableProcessors();
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return new CpuInfo(logical, logical, 1, "unknown");
        }
        try {
            return parse(Files.readAllLines(cpuinfo), logical);
        } catch (IOException e) {
            return new CpuInfo(logical, logical, 1, "unknown");
        }
    }

    /** Reads the layout from the lines of {@code /proc/cpuinfo}. */
    static CpuInfo parse(List<String> lines, int logical) {
        Set<String> cores = new HashSet<>();
        Set<String> sockets = new HashSet<>();
        String model = "unknown";
        String socket = "0";
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            switch (key) {
                case "model name":
                    model = value;
                    break;
                case "physical id":
                    socket = value;
                    sockets.add(value);
                    break;
                case "core id":
                    cores.add(socket + "/" + value);
                    break;
                default:
                    break;
            }
        }
        // containers may limit the JVM to fewer processors than the host has cores
        int physical = cores.isEmpty() ? logical : Math.min(cores.size(), logical);
        return new CpuInfo(logical, physical, Math.max(1, sockets.size()), model);
    }

    @Override
    public String toString() {
        return logicalProcessors + " logical processors, " + physicalCores + " physical cores, " + sockets
                + " socket(s), " + model;
    }
}
