package dev.mirrorsd.core.model;

/**
 * Unnormalised next-token scores for some rows of a window.
 *
 * @param rows   rows held
 * @param vocab  scores per row
 * @param values row-major {@code (rows, vocab)}
 */
public record Logits(int rows, int vocab, float[] values) {

    public Logits {
        if ((long) rows * vocab != values.length) {
            throw new IllegalArgumentException(rows + " x " + vocab + " logits need " + (long) rows * vocab
                    + " values, got " + values.length);
        }
    }

    /**
     * Rows {@code fromRow..windowRows-1} of one head out of multi-token head logits laid out
     * {@code (windowRows, heads, width)}, as engines that run the heads in one graph return them.
     */
    public static Logits ofHead(float[] all, int windowRows, int heads, int head, int fromRow) {
        int width = all.length / (windowRows * heads);
        int rows = windowRows - fromRow;
        float[] out = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(all, ((fromRow + r) * heads + head) * width, out, r * width, width);
        }
        return new Logits(rows, width, out);
    }

    public float get(int row, int token) {
        return values[row * vocab + token];
    }

    public float[] row(int row) {
        float[] out = new float[vocab];
        System.arraycopy(values, row * vocab, out, 0, vocab);
        return out;
    }

    /** Index of the highest score in the row; the lowest index wins ties, as torch.argmax does. */
    public int argmax(int row) {
        int base = row * vocab;
        int best = 0;
        float bestValue = values[base];
        for (int i = 1; i < vocab; i++) {
            float v = values[base + i];
            if (v > bestValue) {
                bestValue = v;
                best = i;
            }
        }
        return best;
    }
}
