package dev.mirrorsd.core.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The backends of an engine that runs on the host CPU and on CUDA GPUs told apart by index
 * ({@code engine:cpu}, {@code engine:gpuN}), which libtorch-based engines share.
 */
public record CpuAndGpus(Backend cpu, Backend gpu) {

    public static CpuAndGpus of(String engine) {
        return new CpuAndGpus(new Backend(engine, "cpu", DeviceKind.CPU, false),
                new Backend(engine, "gpu", DeviceKind.GPU, true));
    }

    public List<Backend> backends() {
        return List.of(cpu, gpu);
    }

    /** The CPU and {@code gpus} CUDA devices, each described after {@code runtime}. */
    public List<Accelerator> accelerators(String runtime, int gpus) {
        List<Accelerator> found = new ArrayList<>();
        found.add(new Accelerator(new DeviceId(cpu, 0), runtime + " on CPU"));
        for (int i = 0; i < gpus; i++) {
            found.add(new Accelerator(new DeviceId(gpu, i), runtime + " on CUDA device " + i));
        }
        return found;
    }

    /** The engine's own device handle for {@code device}; any other engine's device is refused. */
    public <T> T place(DeviceId device, Supplier<T> onCpu, IntFunction<T> onGpu) {
        if (device.backend().equals(gpu)) {
            return onGpu.apply(device.index());
        }
        if (device.backend().equals(cpu)) {
            return onCpu.get();
        }
        throw new IllegalArgumentException(device + " is not a " + cpu.engine() + " device");
    }
}
