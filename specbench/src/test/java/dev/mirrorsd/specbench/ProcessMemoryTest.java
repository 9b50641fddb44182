package dev.mirrorsd.specbench;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The resident-memory breakdown the soak reports: it adds up to VmRSS and sees a large native block. */
class ProcessMemoryTest {

    @Test
    void theBreakdownAddsUpToTheResidentSetAndSeesALargeNativeBlock() {
        ProcessMemory.ResidentByMapping before = ProcessMemory.residentByMapping();
        long resident = ProcessMemory.residentBytes();
        assertTrue(before.files() > 0 && before.anonymous() > 0, "no file or anonymous memory read: " + before);
        assertTrue(Math.abs(before.total() - resident) < 0.1 * resident,
                "smaps' Rss adds up to " + before.total() + " bytes, VmRSS is " + resident);
        long size = 96L << 20;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(size); // malloc: a block this large is mapped on its own
            for (long i = 0; i < size; i += 4096) {
                block.set(ValueLayout.JAVA_BYTE, i, (byte) 1);
            }
            ProcessMemory.ResidentByMapping after = ProcessMemory.residentByMapping();
            long grown = after.anonymous() + after.mallocArenas() + after.mainHeap()
                    - before.anonymous() - before.mallocArenas() - before.mainHeap();
            assertTrue(grown >= size * 9 / 10, "a touched " + size + "-byte native block grew anonymous memory by "
                    + grown + " bytes: " + before + " -> " + after);
            assertTrue(after.anonymous() - before.anonymous() >= size * 9 / 10,
                    "a block over 64 MiB is no malloc arena's: " + before + " -> " + after);
        }
    }
}
