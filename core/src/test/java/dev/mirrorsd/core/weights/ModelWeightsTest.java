package dev.mirrorsd.core.weights;

import dev.mirrorsd.core.model.ModelFormatException;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tensors read on demand: each when first required, once, in the checkpoint's order of names. */
class ModelWeightsTest {

    @Test
    void tensorsShouldBeReadWhenFirstRequiredAndOnlyOnce() {
        AtomicInteger reads = new AtomicInteger();
        Map<String, Supplier<HostTensor>> readers = new LinkedHashMap<>();
        for (String name : List.of("b", "a", "c")) {
            readers.put(name, () -> {
                reads.incrementAndGet();
                return new HostTensor(new long[] {2}, new float[] {name.charAt(0), 1});
            });
        }
        ModelWeights weights = ModelWeights.readOnDemand(null, readers, "test");
        assertEquals(List.of("b", "a", "c"), List.copyOf(weights.names()));
        assertEquals(0, reads.get());

        HostTensor a = weights.require("a", 2);
        assertSame(a, weights.require("a"));
        assertEquals(1, reads.get());
        assertArrayEquals(new float[] {'a', 1}, a.data());
        assertThrows(ModelFormatException.class, () -> weights.require("c", 3));

        weights.release("a");
        assertTrue(!weights.contains("a") && weights.contains("b"));
        assertThrows(ModelFormatException.class, () -> weights.require("a"));
        assertEquals(2, reads.get());
    }
}
