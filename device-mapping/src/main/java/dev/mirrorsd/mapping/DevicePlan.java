package dev.mirrorsd.mapping;

import dev.mirrorsd.devices.CpuInfo;
import dev.mirrorsd.core.engine.DeviceKind;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Where each Mirror-SD pipeline runs: engine, device and intra-op thread budget, per role.
 * Immutable. Read one with {@link #parse} (command line) or {@link #read} (a properties file); the
 * grammar is in {@link DevicePlanParser}. Check it against the machine with {@link PlanCheck}.
 *
 * @param target where the target pipeline runs
 * @param draft  where the draft pipeline runs
 */
public record DevicePlan(Placement target, Placement draft) {

    public DevicePlan {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(draft, "draft");
        if (target.role() != PipelineRole.TARGET || draft.role() != PipelineRole.DRAFT) {
            throw new IllegalArgumentException("placements out of role: " + target + ", " + draft);
        }
    }

    public static DevicePlan of(Placement target, Placement draft) {
        return new DevicePlan(target, draft);
    }

    /** Reads {@code target=pytorch:cpu,draft=onnxruntime:cpu,threads.target=1,threads.draft=1}. */
    public static DevicePlan parse(String text) {
        return DevicePlanParser.parse(text);
    }

    /** Reads a properties file with the keys of {@link #parse}, one per line. */
    public static DevicePlan read(Path file) {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            properties.load(in);
        } catch (IOException e) {
            throw new DevicePlanException("cannot read device plan " + file + ": " + e.getMessage());
        }
        Map<String, String> entries = new LinkedHashMap<>();
        for (String key : properties.stringPropertyNames()) {
            DevicePlanParser.put(entries, key, properties.getProperty(key));
        }
        return DevicePlanParser.fromEntries(entries);
    }

    public Placement placement(PipelineRole role) {
        return role == PipelineRole.TARGET ? target : draft;
    }

    /**
     * Fills thread counts left at 0. Both pipelines on the CPU split its processors, about three
     * quarters to the target (the larger model) and at least one each; except when both are on
     * pytorch:cpu, whose one process-wide setting they must share (half each). A pipeline alone on
     * the CPU gets all processors; one on a GPU or NPU gets one thread for its host-side work.
     */
    public DevicePlan withDefaultThreads(CpuInfo cpu) {
        int cpus = cpu.logicalProcessors();
        boolean targetOnCpu = target.device().kind() == DeviceKind.CPU;
        boolean draftOnCpu = draft.device().kind() == DeviceKind.CPU;
        int targetThreads;
        int draftThreads;
        if (targetOnCpu && draftOnCpu && PlanCheck.shareLibtorchPool(this)) {
            targetThreads = Math.max(1, cpus / 2);
            draftThreads = targetThreads;
        } else if (targetOnCpu && draftOnCpu) {
            draftThreads = Math.max(1, cpus / 4);
            targetThreads = Math.max(1, cpus - draftThreads);
        } else {
            targetThreads = targetOnCpu ? cpus : 1;
            draftThreads = draftOnCpu ? cpus : 1;
        }
        return new DevicePlan(
                target.intraOpThreads() == 0 ? target.withThreads(targetThreads) : target,
                draft.intraOpThreads() == 0 ? draft.withThreads(draftThreads) : draft);
    }

    /** The plan in its own grammar; {@link #parse} reads it back. */
    public String toSpec() {
        return "target=" + target.device() + ",draft=" + draft.device()
                + (target.intraOpThreads() > 0 ? ",threads.target=" + target.intraOpThreads() : "")
                + (draft.intraOpThreads() > 0 ? ",threads.draft=" + draft.intraOpThreads() : "");
    }

    @Override
    public String toString() {
        return toSpec();
    }
}
