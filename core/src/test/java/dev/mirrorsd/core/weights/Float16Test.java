package dev.mirrorsd.core.weights;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Float16Test {
    @Test
    void shouldConvertNormalsZerosAndSubnormalsExactly() {
        assertEquals(1.0f, Float16.halfToFloat((short) 0x3C00));
        assertEquals(-2.0f, Float16.halfToFloat((short) 0xC000));
        assertEquals(65504.0f, Float16.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-14f, Float16.halfToFloat((short) 0x0400), "smallest normal");
        assertEquals(0x1p-24f, Float16.halfToFloat((short) 0x0001), "smallest subnormal");
        assertEquals(0x3FFp-24f, Float16.halfToFloat((short) 0x03FF), "largest subnormal");
        assertEquals(Float.floatToIntBits(-0.0f), Float.floatToIntBits(Float16.halfToFloat((short) 0x8000)));
        assertEquals(0.333251953125f, Float16.halfToFloat((short) 0x3555));
    }

    @Test
    void shouldConvertInfinitiesAndNaN() {
        assertEquals(Float.POSITIVE_INFINITY, Float16.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, Float16.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(Float16.halfToFloat((short) 0x7E00)));
    }

    @Test
    void shouldWidenBfloat16AsTheFloatsTopHalf() {
        assertEquals(1.0f, Float16.bfloat16ToFloat((short) 0x3F80));
        assertEquals(-3.0f, Float16.bfloat16ToFloat((short) 0xC040));
    }
}
