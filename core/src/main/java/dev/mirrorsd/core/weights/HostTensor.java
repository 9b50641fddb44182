package dev.mirrorsd.core.weights;

import java.util.Arrays;

/**
 * A dense fp32 tensor in host memory, row-major, with PyTorch's dimension order (a linear layer's
 * weight is {@code (out_features, in_features)}). Loaders widen every stored type (F16, BF16, Q8_0,
 * Q4_0, Q4_1) to this at load time, so engines see one element type.
 *
 * @param shape dimensions, outermost first
 * @param data  {@code product(shape)} values
 */
public record HostTensor(long[] shape, float[] data) {

    public HostTensor {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " values, data has " + data.length);
        }
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    @Override
    public String toString() {
        return "HostTensor" + Arrays.toString(shape);
    }
}
