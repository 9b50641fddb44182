package dev.mirrorsd.placement;

import dev.mirrorsd.core.engine.DeviceId;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A model's measured forward latency on one device, per window size (rows fed in one forward,
 * after a prefill).
 *
 * @param device            where it was measured
 * @param layers            the model's decoder layers
 * @param medianNanosByRows median wall time of one forward, by window rows; at least one entry
 */
public record ForwardLatency(DeviceId device, int layers, SortedMap<Integer, Long> medianNanosByRows) {

    public ForwardLatency {
        Objects.requireNonNull(device, "device");
        if (layers < 1) {
            throw new IllegalArgumentException("layers must be >= 1, got " + layers);
        }
        if (medianNanosByRows.isEmpty()) {
            throw new IllegalArgumentException("no measurements");
        }
        medianNanosByRows = Collections.unmodifiableSortedMap(new TreeMap<>(medianNanosByRows));
    }

    public static ForwardLatency of(DeviceId device, int layers, Map<Integer, Long> nanosByRows) {
        return new ForwardLatency(device, layers, new TreeMap<>(nanosByRows));
    }

    /**
     * Forward time for a window of {@code rows}: interpolated linearly between measured sizes,
     * extended along the last two measurements' slope beyond the largest (never below it), and the
     * smallest measurement below the smallest size.
     */
    public double nanos(int rows) {
        SortedMap<Integer, Long> m = medianNanosByRows;
        if (m.containsKey(rows)) {
            return m.get(rows);
        }
        if (rows < m.firstKey()) {
            return m.get(m.firstKey());
        }
        SortedMap<Integer, Long> below = m.headMap(rows);
        SortedMap<Integer, Long> above = m.tailMap(rows);
        if (!above.isEmpty()) {
            int r0 = below.lastKey();
            int r1 = above.firstKey();
            return lerp(r0, m.get(r0), r1, m.get(r1), rows);
        }
        if (m.size() == 1) {
            return m.get(m.lastKey());
        }
        int r1 = m.lastKey();
        int r0 = m.headMap(r1).lastKey();
        double slope = Math.max(0, (double) (m.get(r1) - m.get(r0)) / (r1 - r0));
        return m.get(r1) + slope * (rows - r1);
    }

    /** Forward time per decoder layer at {@code rows} (the whole forward spread evenly over the layers). */
    public double nanosPerLayer(int rows) {
        return nanos(rows) / layers;
    }

    private static double lerp(int x0, long y0, int x1, long y1, int x) {
        return y0 + (double) (y1 - y0) * (x - x0) / (x1 - x0);
    }

    /** "1 row 20.1 ms, 2 rows 22.3 ms, ..." */
    public String describe() {
        return medianNanosByRows.entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "%d: %.2f ms", e.getKey(), e.getValue() / 1e6))
                .collect(Collectors.joining(", "));
    }
}
