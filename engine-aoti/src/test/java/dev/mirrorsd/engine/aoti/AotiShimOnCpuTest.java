package dev.mirrorsd.engine.aoti;

import ai.djl.pytorch.jni.LibUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JNI shim's tensor calls against a real libtorch on the CPU: DJL's (the libtorch this build
 * already ships for its CPU engine exports the same {@code aoti_torch_*} C functions a PyTorch
 * install does). The shim is compiled from the jar's C source with {@code cc}, as on a user's
 * machine. What needs a GPU (graphs, CUDA graphs) is checked on the lent GPU machines.
 */
class AotiShimOnCpuTest {

    private static final AotiStream CPU = new AotiStream(AotiDevice.cpu(), 0);

    @BeforeAll
    static void loadDjlsLibtorchThroughTheShim() {
        LibUtils.loadLibrary(); // extracts and loads DJL's libtorch, offline from pytorch-native-cpu
        Path lib = Path.of(LibUtils.getLibtorchPath());
        Path dir = Files.isDirectory(lib) ? lib : lib.getParent();
        System.setProperty(AotiRuntime.TORCH_LIB_PROPERTY, dir.toString());
        AotiRuntime.get();
    }

    @Test
    void shouldRoundTripFloatsAndLongs() {
        float[] data = {1.5f, -2f, 3.25f, 0f, 7f, -0.5f};
        try (DeviceTensor t = DeviceTensor.ofFloats(CPU, data, 2, 3)) {
            assertArrayEquals(new long[] {2, 3}, t.sizes());
            assertArrayEquals(data, t.toFloats());
        }
        try (DeviceTensor t = DeviceTensor.ofLongs(CPU, new long[] {5, -6, 1L << 40})) {
            assertArrayEquals(new long[] {3}, t.sizes());
            assertArrayEquals(new float[] {5f, -6f, (float) (1L << 40)}, t.toFloats());
        }
    }

    @Test
    void shouldOverwriteAndZeroInPlace() {
        try (DeviceTensor t = DeviceTensor.ofFloats(CPU, new float[] {1, 2, 3, 4}, 4)) {
            t.write(new float[] {9, 8, 7, 6});
            assertArrayEquals(new float[] {9, 8, 7, 6}, t.toFloats());
            t.zero();
            assertArrayEquals(new float[4], t.toFloats());
        }
        try (DeviceTensor t = DeviceTensor.ofLongs(CPU, new long[] {1, 2})) {
            t.write(new long[] {-3, 4});
            assertArrayEquals(new float[] {-3, 4}, t.toFloats());
            t.zero();
            assertArrayEquals(new float[2], t.toFloats());
        }
    }

    @Test
    void shouldZeroAndWidenAHalfPrecisionTensor() {
        // a bfloat16 cache is zeroed through a host tensor of its own dtype, read back widened
        try (DeviceTensor t = DeviceTensor.empty(CPU, 2, 2, 5);
             DeviceTensor src = DeviceTensor.ofFloats(CPU, new float[] {0.5f, -1f, 2f, 4f, 8f, 1f, 0.25f, -2f, 3f, 6f}, 2, 5)) {
            t.copyFrom(src); // float32 -> bfloat16: these values are exact in both
            assertArrayEquals(src.toFloats(), t.toFloats());
            t.zero();
            assertArrayEquals(new float[10], t.toFloats());
        }
    }

    @Test
    void shouldReadAStridedViewAtAnOffset() {
        float[] data = new float[24];
        for (int i = 0; i < data.length; i++) {
            data[i] = i;
        }
        try (DeviceTensor t = DeviceTensor.ofFloats(CPU, data, 4, 6);
             DeviceTensor column = t.view(new long[] {4}, new long[] {6}, 2);
             DeviceTensor block = t.view(new long[] {2, 2}, new long[] {6, 1}, 13)) {
            assertArrayEquals(new float[] {2, 8, 14, 20}, column.toFloats());
            assertArrayEquals(new float[] {13, 14, 19, 20}, block.toFloats());
            column.write(new float[] {-1, -1, -1, -1}); // a view writes through to its storage
            float[] all = t.toFloats();
            assertArrayEquals(new float[] {-1, 3}, new float[] {all[2], all[3]});
        }
    }

    @Test
    void shouldRefuseAnArrayOfTheWrongLength() {
        try (DeviceTensor t = DeviceTensor.ofFloats(CPU, new float[] {1, 2, 3}, 3)) {
            IllegalStateException write = assertThrows(IllegalStateException.class, () -> t.write(new float[] {1, 2}));
            assertTrue(write.getMessage().contains("element count"), write.getMessage());
            IllegalStateException read = assertThrows(IllegalStateException.class,
                    () -> AotiNative.toFloats(t.handle(), new float[4], 0, 0));
            assertTrue(read.getMessage().contains("element count"), read.getMessage());
            assertArrayEquals(new float[] {1, 2, 3}, t.toFloats()); // nothing was written
        }
    }

    @Test
    void shouldQueueOnTheDefaultStreamWhereLibtorchHasNoCudaStreams() {
        // a CPU-only libtorch: no model stream to open, and a stream handed in anyway is refused
        // with a message instead of reaching a CUDA call
        assertEquals(0, AotiNative.streamNew(0));
        assertEquals(0, AotiStream.open(AotiDevice.gpu(0)).handle());
        AotiStream bogus = new AotiStream(AotiDevice.cpu(), 1);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DeviceTensor.ofFloats(bogus, new float[] {1}, 1));
        assertTrue(e.getMessage().contains("no CUDA stream guards"), e.getMessage());
    }
}
