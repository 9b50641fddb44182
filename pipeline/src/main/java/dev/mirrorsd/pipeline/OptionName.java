package dev.mirrorsd.pipeline;

import java.util.Locale;
import java.util.StringJoiner;

/**
 * Enum constants as options and reports spell them: lower case with hyphens ({@code target-step},
 * {@code busy-spin}). The command line and the GPU check parse and print policies through this.
 */
public final class OptionName {

    private OptionName() {
    }

    /** {@code TARGET_STEP} -> {@code target-step}. */
    public static String of(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * The constant of {@code type} spelt {@code value} (case ignored).
     *
     * @param what what the option names, for the error ("miss policy")
     * @throws IllegalArgumentException naming the valid spellings
     */
    public static <E extends Enum<E>> E parse(Class<E> type, String value, String what) {
        StringJoiner valid = new StringJoiner(", ");
        for (E constant : type.getEnumConstants()) {
            String name = of(constant);
            if (name.equalsIgnoreCase(value)) {
                return constant;
            }
            valid.add(name);
        }
        throw new IllegalArgumentException("unknown " + what + " '" + value + "'; valid: " + valid);
    }
}
