package dev.mirrorsd.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ChiSquareTest {

    @Test
    void pValueShouldMatchTabulatedCriticalValues() {
        assertEquals(0.05, ChiSquare.pValue(3.841, 1), 1e-4);
        assertEquals(0.001, ChiSquare.pValue(20.515, 5), 1e-5);
        assertEquals(0.01, ChiSquare.pValue(15.086, 5), 1e-5);
        assertEquals(0.5, ChiSquare.pValue(4.351, 5), 1e-3);
        assertEquals(1.0, ChiSquare.pValue(0, 3), 0);
    }

    @Test
    void logGammaShouldMatchFactorials() {
        assertEquals(Math.log(24), ChiSquare.logGamma(5), 1e-12);
        assertEquals(0.5 * Math.log(Math.PI), ChiSquare.logGamma(0.5), 1e-12);
    }
}
