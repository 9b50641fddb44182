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

    /**
     * Resident memory by the kind of mapping that holds it, from /proc/self/smaps, in bytes; empty
     * where smaps cannot be read. The soak's resident memory has at times jumped by hundreds of MB
     * while every counter of the JVM's and DJL's stayed put: this says which allocator grew.
     */
    public static ResidentByMapping residentByMapping() {
        long arenas = 0;
        long mainHeap = 0;
        long anonymous = 0;
        long files = 0;
        try {
            Kind kind = null;
            for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
                int dash = line.indexOf('-');
                int space = line.indexOf(' ');
                if (dash > 0 && space > dash && isHex(line, 0, dash)) { // a mapping's header line
                    long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                    long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                    String[] fields = line.trim().split("\\s+", 6);
                    String name = fields.length == 6 ? fields[5] : "";
                    kind = name.equals("[heap]") ? Kind.MAIN_HEAP
                            : name.startsWith("/") ? Kind.FILE
                            : name.isEmpty() && start % ARENA == 0 && end - start <= ARENA ? Kind.ARENA
                            : Kind.ANONYMOUS;
                } else if (line.startsWith("Rss:") && kind != null) {
                    long bytes = Long.parseLong(line.substring(4).trim().split("\\s+")[0]) * 1024;
                    switch (kind) {
                        case MAIN_HEAP -> mainHeap += bytes;
                        case FILE -> files += bytes;
                        case ARENA -> arenas += bytes;
                        case ANONYMOUS -> anonymous += bytes;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return new ResidentByMapping(-1, -1, -1, -1);
        }
        return new ResidentByMapping(arenas, mainHeap, anonymous, files);
    }

    /**
     * Resident bytes by mapping.
     *
     * @param mallocArenas anonymous mappings of at most 64 MiB at a 64 MiB boundary: glibc's per-thread malloc
     *                     arenas (its HEAP_MAX_SIZE), where native libraries' threads allocate
     * @param mainHeap     [heap]: glibc's main arena
     * @param anonymous    other anonymous mappings: the Java heap, large native blocks mapped on their own,
     *                     thread stacks
     * @param files        mapped files: the weights, libraries
     */
    public record ResidentByMapping(long mallocArenas, long mainHeap, long anonymous, long files) {
        public long total() {
            return mallocArenas + mainHeap + anonymous + files;
        }
    }

    private enum Kind { ARENA, MAIN_HEAP, ANONYMOUS, FILE }

    private static final long ARENA = 64L << 20;

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return to > from;
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
