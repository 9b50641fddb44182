package dev.mirrorsd.core.format;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * One edit of a file's bytes, as a fuzzer corrupts a valid file: a flipped bit, an overwritten or
 * inserted byte, a cut, or a length field overwritten with a huge or negative value. Generated as
 * data, so that jqwik shrinks a failing list of edits to the one that matters.
 *
 * @param kind  what the edit does
 * @param at    where, as a byte offset taken modulo the input's length
 * @param value the byte, bit index, run length or little-endian field value written
 */
public record ByteMutation(Kind kind, int at, long value) {
    public enum Kind { FLIP_BIT, SET_BYTE, INSERT_BYTES, DELETE_BYTES, TRUNCATE, PUT_U32, PUT_U64 }

    /** Field values that break length and count checks: zero, all ones, sign bits, 2^32, huge. */
    private static final List<Long> INTERESTING = List.of(0L, 1L, 2L, 3L, 4L, 7L, 8L, 31L, 32L, 33L, 255L, 256L,
            -1L, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 62,
            Integer.MAX_VALUE - 8L, 100L * 1024 * 1024 + 1);

    /** Up to {@code maxEdits} edits, a third of them aimed at the first {@code hotBytes} bytes (the header). */
    public static Arbitrary<List<ByteMutation>> edits(int hotBytes, int maxEdits) {
        Arbitrary<Integer> at = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.integers().between(0, Math.max(0, hotBytes - 1))),
                Tuple.of(2, Arbitraries.integers().between(0, Integer.MAX_VALUE)));
        Arbitrary<Long> value = Arbitraries.oneOf(Arbitraries.of(INTERESTING), Arbitraries.longs(),
                Arbitraries.longs().between(0, 64));
        Arbitrary<ByteMutation> edit = Combinators.combine(Arbitraries.of(Kind.class), at, value)
                .as(ByteMutation::new);
        return edit.list().ofMinSize(1).ofMaxSize(maxEdits);
    }

    /**
     * Random bytes, up to {@code maxLength}, drawn from a seed rather than element by element: jqwik
     * builds a shrinkable per element, which costs more than the parse under test. Not shrunk.
     */
    public static Arbitrary<byte[]> noise(int maxLength) {
        return Arbitraries.randomValue(random -> {
            byte[] b = new byte[random.nextInt(maxLength + 1)];
            random.nextBytes(b);
            return b;
        });
    }

    /** Applies {@code edits} in order to a copy of {@code input}. */
    public static byte[] applyAll(byte[] input, List<ByteMutation> edits) {
        byte[] out = input;
        for (ByteMutation m : edits) {
            out = m.apply(out);
        }
        return out;
    }

    public byte[] apply(byte[] in) {
        if (in.length == 0) {
            return kind == Kind.INSERT_BYTES ? new byte[] {(byte) value} : in;
        }
        int pos = Math.floorMod(at, in.length);
        byte[] out;
        switch (kind) {
            case FLIP_BIT -> {
                out = in.clone();
                out[pos] ^= (byte) (1 << Math.floorMod(value, 8));
            }
            case SET_BYTE -> {
                out = in.clone();
                out[pos] = (byte) value;
            }
            case INSERT_BYTES -> {
                int n = 1 + (int) Math.floorMod(value, 16);
                out = new byte[in.length + n];
                System.arraycopy(in, 0, out, 0, pos);
                Arrays.fill(out, pos, pos + n, (byte) value);
                System.arraycopy(in, pos, out, pos + n, in.length - pos);
            }
            case DELETE_BYTES -> {
                int n = Math.min(in.length - pos, 1 + (int) Math.floorMod(value, 16));
                out = new byte[in.length - n];
                System.arraycopy(in, 0, out, 0, pos);
                System.arraycopy(in, pos + n, out, pos, in.length - pos - n);
            }
            case TRUNCATE -> out = Arrays.copyOf(in, pos);
            case PUT_U32 -> out = put(in, pos, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) value));
            case PUT_U64 -> out = put(in, pos, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value));
            default -> throw new IllegalStateException(kind.toString());
        }
        return out;
    }

    private static byte[] put(byte[] in, int pos, ByteBuffer field) {
        byte[] out = in.clone();
        byte[] b = field.array();
        System.arraycopy(b, 0, out, pos, Math.min(b.length, out.length - pos));
        return out;
    }
}
