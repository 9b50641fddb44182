package dev.mirrorsd.mapping;

import dev.mirrorsd.core.engine.DeviceId;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads device plans. The grammar, the same on the command line and in a properties file:
 * <pre>
 *   plan    := entry ( (',' | whitespace | newline) entry )*
 *   entry   := role '=' device | 'threads.' role '=' count
 *   role    := 'target' | 'draft'
 *   device  := engine ':' backend [index]
 *   engine  := 'pytorch' | 'onnxruntime' | 'aoti'
 *   backend := pytorch, aoti: 'cpu' | 'gpu';  onnxruntime: 'cpu' | 'cuda' | 'tensorrt' | 'openvino' | 'qnn' | 'coreml'
 * </pre>
 * Example: {@code target=pytorch:gpu0,draft=onnxruntime:cpu,threads.draft=1}, or
 * {@code target=aoti:gpu0,draft=aoti:gpu1} (compiled graphs, target and draft on two GPUs). Both roles must be
 * placed; a missing thread count is 0 (chosen later). Keys and names are case-insensitive.
 */
final class DevicePlanParser {

    private static final String THREADS = "threads.";

    private DevicePlanParser() {
    }

    /** Splits {@code text} into {@code key=value} entries, then reads them. */
    static DevicePlan parse(String text) {
        Map<String, String> entries = new LinkedHashMap<>();
        for (String entry : text.trim().split("[,\\s]+")) {
            if (entry.isEmpty() || entry.startsWith("#")) {
                continue;
            }
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new DevicePlanException("plan entry '" + entry + "' is not key=value; expected e.g. "
                        + "target=pytorch:cpu,draft=onnxruntime:cpu,threads.target=1,threads.draft=1");
            }
            put(entries, entry.substring(0, eq), entry.substring(eq + 1));
        }
        return fromEntries(entries);
    }

    static void put(Map<String, String> entries, String key, String value) {
        String k = key.trim().toLowerCase(Locale.ROOT);
        if (entries.put(k, value.trim()) != null) {
            throw new DevicePlanException("plan sets '" + k + "' twice");
        }
    }

    /** Reads already split entries (keys lower case). */
    static DevicePlan fromEntries(Map<String, String> entries) {
        Map<PipelineRole, DeviceId> devices = new EnumMap<>(PipelineRole.class);
        Map<PipelineRole, Integer> threads = new EnumMap<>(PipelineRole.class);
        for (Map.Entry<String, String> e : entries.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(THREADS)) {
                PipelineRole role = role(key.substring(THREADS.length()), key);
                threads.put(role, count(key, e.getValue()));
            } else {
                PipelineRole role = role(key, key);
                devices.put(role, device(role, e.getValue()));
            }
        }
        List<String> missing = new ArrayList<>();
        for (PipelineRole role : PipelineRole.values()) {
            if (!devices.containsKey(role)) {
                missing.add(role.key() + "=ENGINE:DEVICE");
            }
        }
        if (!missing.isEmpty()) {
            throw new DevicePlanException("plan places no " + String.join(" and no ", missing)
                    + "; e.g. target=pytorch:cpu,draft=onnxruntime:cpu");
        }
        return DevicePlan.of(
                new Placement(PipelineRole.TARGET, devices.get(PipelineRole.TARGET), threads.getOrDefault(PipelineRole.TARGET, 0)),
                new Placement(PipelineRole.DRAFT, devices.get(PipelineRole.DRAFT), threads.getOrDefault(PipelineRole.DRAFT, 0)));
    }

    private static PipelineRole role(String name, String key) {
        for (PipelineRole role : PipelineRole.values()) {
            if (role.key().equals(name)) {
                return role;
            }
        }
        throw new DevicePlanException("unknown plan key '" + key + "'; valid keys: target, draft, threads.target, threads.draft");
    }

    private static int count(String key, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new DevicePlanException(key + "=" + value + ": the thread count must be a whole number >= 1");
    }

    /** Reads {@code engine:backend[index]}, e.g. {@code pytorch:gpu0}, against the installed engines. */
    static DeviceId device(PipelineRole role, String text) {
        try {
            return DeviceId.parse(text);
        } catch (IllegalArgumentException e) {
            throw new DevicePlanException(role.key() + "=" + e.getMessage());
        }
    }

}
