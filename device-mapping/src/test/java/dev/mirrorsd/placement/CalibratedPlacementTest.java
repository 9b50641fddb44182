package dev.mirrorsd.placement;

import dev.mirrorsd.core.engine.DeviceId;
import dev.mirrorsd.mapping.DevicePlan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CalibratedPlacementTest {

    private static final long MS = 1_000_000;
    private static final DevicePlan ORT_DRAFT = DevicePlan.parse("target=pytorch:cpu,draft=onnxruntime:cpu,threads.target=1,threads.draft=1");
    private static final DevicePlan GPU_DRAFT = DevicePlan.parse("target=pytorch:cpu,draft=pytorch:gpu0,threads.target=1,threads.draft=1");

    /** 30 layers, 20 ms for one row, growing 1 ms per row: 0.7 ms per layer at 2 rows. */
    private static ForwardLatency target() {
        return ForwardLatency.of(DeviceId.parse("pytorch:cpu"), 30, Map.of(1, 20 * MS, 2, 21 * MS, 4, 23 * MS, 8, 27 * MS, 16, 35 * MS));
    }

    /** A draft costing {@code base} plus {@code perRow} per window row. */
    private static ForwardLatency draft(DeviceId device, double baseMs, double perRowMs) {
        return ForwardLatency.of(device, 4, Map.of(
                1, (long) ((baseMs + perRowMs) * MS), 8, (long) ((baseMs + 8 * perRowMs) * MS), 16, (long) ((baseMs + 16 * perRowMs) * MS)));
    }

    private static CalibratedPlacement placement() {
        return CalibratedPlacement.with(PlacementOptions.defaults().withMinExitLayer(4).withSharedCpuSlowdown(1.0));
    }

    @Test
    void shouldPickTheDeepestExitThatStillHidesTheRollouts() {
        CalibratedPlacement.Candidate c = new CalibratedPlacement.Candidate(ORT_DRAFT, target(), draft(DeviceId.parse("onnxruntime:cpu"), 1, 0.2));
        PlacementChoice choice = placement().decide(c);
        assertTrue(choice.fits(), String.join("\n", choice.reasoning()));
        RoundTiming t = choice.timing();
        assertTrue(t.channelNanos() + t.rolloutNanos() <= t.suffixNanos());
        // one layer deeper and the suffix no longer covers the rollouts
        if (choice.exitLayer() < 29) {
            PlacementChoice deeper = placement().evaluate(c, choice.exitLayer() + 1, choice.kappa(), choice.gamma());
            assertFalse(deeper.fits());
        }
        assertTrue(choice.exitLayer() >= 4);
    }

    @Test
    void shouldDraftLongerAndWiderWhenTheDraftIsNearlyFree() {
        CalibratedPlacement.Candidate c = new CalibratedPlacement.Candidate(ORT_DRAFT, target(), draft(DeviceId.parse("onnxruntime:cpu"), 0.01, 0.001));
        PlacementChoice choice = placement().decide(c);
        assertTrue(choice.fits());
        assertEquals(4, choice.kappa(), "with free rollouts the widest message only lowers misses");
        // no other setting models faster: gamma stops where alpha^gamma no longer pays for the wider window
        for (int gamma = 1; gamma <= 8; gamma++) {
            for (int kappa = 1; kappa <= 4; kappa++) {
                PlacementChoice other = placement().evaluate(c, choice.exitLayer(), kappa, gamma);
                assertTrue(other.tokensPerSecond() <= choice.tokensPerSecond() + 1e-9, "gamma " + gamma + " kappa " + kappa);
            }
        }
        assertTrue(choice.gamma() > 1, String.join("\n", choice.reasoning()));
    }

    @Test
    void shouldDegradeToTheShallowestExitAndSaySoWhenNothingFits() {
        CalibratedPlacement.Candidate c = new CalibratedPlacement.Candidate(ORT_DRAFT, target(), draft(DeviceId.parse("onnxruntime:cpu"), 40, 1));
        PlacementChoice choice = placement().decide(c);
        assertFalse(choice.fits());
        assertEquals(4, choice.exitLayer());
        assertTrue(choice.reasoning().stream().anyMatch(l -> l.startsWith("nothing fits")), String.join("\n", choice.reasoning()));
        assertTrue(choice.reasoning().stream().anyMatch(l -> l.contains("below autoregressive")), String.join("\n", choice.reasoning()));
        assertTrue(choice.tokensPerSecond() > 0);
    }

    @Test
    void shouldPreferThePlanWhoseDraftFits() {
        CalibratedPlacement.Candidate slow = new CalibratedPlacement.Candidate(ORT_DRAFT, target(), draft(DeviceId.parse("onnxruntime:cpu"), 40, 1));
        CalibratedPlacement.Candidate fast = new CalibratedPlacement.Candidate(GPU_DRAFT, target(), draft(DeviceId.parse("pytorch:gpu0"), 0.5, 0.01));
        PlacementChoice choice = placement().choose(List.of(slow, fast));
        assertEquals(GPU_DRAFT, choice.plan());
        assertTrue(choice.reasoning().get(0).startsWith("chose " + GPU_DRAFT), choice.reasoning().get(0));
    }

    @Test
    void shouldChooseTheSameGivenTheSameMeasurements() {
        CalibratedPlacement.Candidate c = new CalibratedPlacement.Candidate(ORT_DRAFT, target(), draft(DeviceId.parse("onnxruntime:cpu"), 1, 0.2));
        assertEquals(placement().decide(c), placement().decide(c));
    }

    @Test
    void shouldChargeTheCriticalPathWithTheRolloutOverrun() {
        CalibratedPlacement.Candidate c = new CalibratedPlacement.Candidate(ORT_DRAFT, target(), draft(DeviceId.parse("onnxruntime:cpu"), 10, 0));
        PlacementChoice choice = placement().evaluate(c, 20, 1, 2);
        RoundTiming t = choice.timing();
        // gamma 2: window 3 rows (22 ms forward, 0.7333 ms a layer); 2 draft steps of 10 ms
        assertEquals(20 * 22.0 / 30 * MS, t.prefixNanos(), 1);
        assertEquals(20 * MS, t.rolloutNanos(), 1);
        assertEquals(t.prefixNanos() + 0.02 * MS + 20 * MS + 0.1 * MS + 0.4 * 20 * MS, t.criticalNanos(), 1);
    }

    @Test
    void shouldSlowBothModelsWhenTheyShareTheCpuButNotWhenTheDraftHasItsOwnDevice() {
        CalibratedPlacement shared = CalibratedPlacement.with(PlacementOptions.defaults().withMinExitLayer(4).withSharedCpuSlowdown(1.5));
        ForwardLatency draft = draft(DeviceId.parse("onnxruntime:cpu"), 10, 0);
        RoundTiming onCpu = shared.evaluate(new CalibratedPlacement.Candidate(ORT_DRAFT, target(), draft), 20, 1, 2).timing();
        RoundTiming onGpu = shared.evaluate(new CalibratedPlacement.Candidate(GPU_DRAFT, target(), draft), 20, 1, 2).timing();
        assertEquals(1.5 * onGpu.prefixNanos(), onCpu.prefixNanos(), 1);
        assertEquals(1.5 * onGpu.rolloutNanos(), onCpu.rolloutNanos(), 1);
        assertEquals(20 * 22.0 / 30 * MS, onGpu.prefixNanos(), 1);
    }
}
