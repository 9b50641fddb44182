package dev.mirrorsd.specbench.profile;

import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Known spans and commits give known histograms. */
class LatencyRecorderTest {
    private static final long MS = 1_000_000L;

    private static Histogram series(LatencyProfile profile, String name) {
        return profile.series().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow().micros();
    }

    @Test
    void shouldGiveThePercentilesOfKnownSpansInMicroseconds() {
        LatencyRecorder recorder = new LatencyRecorder();
        long t = 1_000 * MS;
        for (int ms = 1; ms <= 100; ms++) {
            recorder.span(Lane.TARGET, Phase.VERIFY, t, t + ms * MS);
            t += 200 * MS;
        }
        Histogram verify = series(recorder.snapshot(), "target: verify");
        assertEquals(100, verify.getTotalCount());
        // 3 significant digits: 50 ms is 50,000 us give or take 50
        assertTrue(verify.valuesAreEquivalent(50_000, verify.getValueAtPercentile(50)), "p50 " + verify.getValueAtPercentile(50));
        assertTrue(verify.valuesAreEquivalent(90_000, verify.getValueAtPercentile(90)));
        assertTrue(verify.valuesAreEquivalent(99_000, verify.getValueAtPercentile(99)));
        assertTrue(verify.valuesAreEquivalent(100_000, verify.getMaxValue()));
        assertEquals(50_500, verify.getMean(), 50);
        assertEquals(5050 * MS, recorder.snapshot().phase(Lane.TARGET, Phase.VERIFY).orElseThrow().totalNanos());
    }

    @Test
    void shouldTimeFirstTokenFromThePrefillStartAndGiveEachLaterTokenItsGap() {
        LatencyRecorder recorder = new LatencyRecorder();
        long t0 = 5_000 * MS;
        recorder.span(Lane.TARGET, Phase.PREFILL, t0, t0 + 10 * MS);
        recorder.tokens(t0 + 12 * MS, 1);
        recorder.tokens(t0 + 20 * MS, 3);  // a round of three tokens: 8 ms, 0, 0
        recorder.tokens(t0 + 25 * MS, 1);
        // a second request starts its own clock
        long t1 = 9_000 * MS;
        recorder.span(Lane.TARGET, Phase.PREFILL, t1, t1 + 30 * MS);
        recorder.tokens(t1 + 31 * MS, 2);  // the first commit's second token arrives with it: 0
        LatencyProfile profile = recorder.snapshot();
        Histogram ttft = series(profile, "time to first token");
        assertEquals(2, ttft.getTotalCount());
        assertTrue(ttft.valuesAreEquivalent(12_000, ttft.getMinValue()));
        assertTrue(ttft.valuesAreEquivalent(31_000, ttft.getMaxValue()));
        Histogram itl = series(profile, "inter-token latency");
        assertEquals(5, itl.getTotalCount()); // 8, 0, 0, 5 then 0
        assertEquals(3, itl.getCountAtValue(0));
        assertTrue(itl.valuesAreEquivalent(8_000, itl.getMaxValue()));
        assertEquals(13_000 / 5.0, itl.getMean(), 10);
        assertEquals(2, profile.requests());
        assertEquals(7, profile.tokens());
        assertEquals(13 * MS, profile.decodeNanos());
    }

    @Test
    void verifyShareShouldBeVerifyTimeOverTheRounds() {
        LatencyRecorder recorder = new LatencyRecorder();
        recorder.span(Lane.TARGET, Phase.PREFILL, 0, 10 * MS);
        recorder.tokens(10 * MS, 1);
        recorder.span(Lane.DRAFT, Phase.DRAFT, 10 * MS, 13 * MS);
        recorder.span(Lane.TARGET, Phase.TARGET_FORWARD, 13 * MS, 19 * MS);
        recorder.span(Lane.TARGET, Phase.VERIFY, 19 * MS, 20 * MS);
        recorder.tokens(20 * MS, 2);
        LatencyProfile profile = recorder.snapshot();
        assertEquals(0.1, profile.verifyShareOfRounds(), 1e-12);
        assertEquals(0.3, profile.shareOfRounds(Lane.DRAFT, Phase.DRAFT), 1e-12);
        // phases that never ran have no series; both lanes' phases that did have one each
        assertFalse(profile.phase(Lane.TARGET, Phase.RING_TRANSFER).isPresent());
        assertEquals(6, profile.series().size());
        assertTrue(PercentileTable.markdown(profile).contains("| target: verify | 1 | 1.000 | 1.000 |"),
                PercentileTable.markdown(profile));
    }

    @Test
    void shouldCountEverySpanWhenBothLanesRecordAtOnce() throws InterruptedException {
        LatencyRecorder recorder = new LatencyRecorder();
        int perLane = 20_000;
        CountDownLatch start = new CountDownLatch(1);
        Thread[] threads = new Thread[Lane.values().length];
        for (Lane lane : Lane.values()) {
            threads[lane.ordinal()] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perLane; i++) {
                    Phase phase = Phase.values()[1 + i % (Phase.values().length - 1)]; // every phase but the prefill
                    recorder.span(lane, phase, i, i + 1_000L * (i % 50));
                }
            });
            threads[lane.ordinal()].start();
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        LatencyProfile profile = recorder.snapshot();
        for (Lane lane : Lane.values()) {
            long count = profile.series().stream().filter(s -> s.lane() == lane)
                    .mapToLong(s -> s.micros().getTotalCount()).sum();
            assertEquals(perLane, count, lane.toString());
        }
        assertEquals(2 * (Phase.values().length - 1), profile.series().size() - 2);
    }

    @Test
    void shouldClampValuesBeyondAnHour() {
        LatencyRecorder recorder = new LatencyRecorder();
        recorder.span(Lane.DRAFT, Phase.BRANCH_ROLLOUT, 0, 2 * 3_600_000 * MS);
        Histogram h = series(recorder.snapshot(), "draft: branch rollout");
        assertTrue(h.valuesAreEquivalent(LatencyRecorder.HIGHEST_MICROS, h.getMaxValue()));
    }
}
