package dev.mirrorsd.pipeline.ring;

/** Argument checks shared by the events: sizes against their fixed capacity. */
final class Capacity {
    private Capacity() {
    }

    static int positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
    }

    static void fits(String name, int value, int capacity) {
        if (value < 0 || value > capacity) {
            throw new IllegalArgumentException(name + " " + value + " outside this event's capacity [0, "
                    + capacity + "]");
        }
    }

    static void holds(String name, int length, int needed) {
        if (length < needed) {
            throw new IllegalArgumentException(name + " holds " + length + " entries, " + needed + " needed");
        }
    }
}
