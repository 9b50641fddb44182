package dev.mirrorsd.specbench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process from /proc (Linux); -1 where it cannot be read. */
public final class ProcessMemory {
    private ProcessMemory() {
    }

    /** Peak resident set size (VmHWM), in bytes. */
    public static long peakResidentBytes() {
        return statusKilobytes("VmHWM:") * 1024;
    }

    /** Current resident set size (VmRSS), in bytes. */
    public static long residentBytes() {
        return statusKilobytes("VmRSS:") * 1024;
    }

    private static long statusKilobytes(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
