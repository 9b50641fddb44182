package dev.mirrorsd.engine.aoti;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.model.FeatureDraftModel;
import dev.mirrorsd.core.model.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The feature draft compiled by {@code tools/gpu/export_aoti.py --feature-draft} into two graphs on
 * one device: {@code fc} fuses the target's features, {@code step} runs the draft's decoder layer
 * and its head for a window of rows over a KV cache the caller owns (the target's graph contract,
 * with the step's hidden input beside its tokens). On a GPU a draft step is a few hundred kernels
 * for a few megabytes of weights, so, as for the target, the steps of one state (the graph owner)
 * replay CUDA graphs, keyed by the attended width rounded up to {@value AotiCausalLM#ATTENDED_BUCKET}
 * slots; other states run eagerly.
 *
 * <p>A step's host side allocates nothing: its inputs go into tensors kept per width and its g and
 * logits come back into the caller's arrays.
 *
 * <p>Thread-safety: {@link #newState} from any thread; each state is used by one thread at a time.
 */
public final class AotiFeatureDraft implements FeatureDraftModel {

    /** The {@code architecture} a feature draft's manifest names. */
    public static final String ARCHITECTURE = "feature-draft";

    private final Path dir;
    private final AotiDevice device;
    private final AotiStream stream;
    private final AotiGraph fc;
    private final AotiGraph step;
    private final int hidden;
    private final int kvHeads;
    private final int headDim;
    private final int draftVocab;
    private final int targetVocab;
    private final int maxWindow;
    private final int maxContext;
    private final int[] featureLayers;
    private final int[] draftToTarget;
    private final float masked;
    private final int dtypeCode;
    private final GraphOwnership graphs; // the state that replays CUDA graphs, on a cache of max_context slots
    // the graph owner's inputs by step key, kept from one request to the next: a captured step replays
    // only on the tensors it was captured with, so a state of its own would capture every step again
    private final Map<Long, StepTensors> ownerTensors = new HashMap<>();

    private AotiFeatureDraft(Path dir, JsonObject m, AotiStream stream, AotiGraph fc, AotiGraph step) {
        this.dir = dir;
        this.device = stream.device();
        this.stream = stream;
        this.fc = fc;
        this.step = step;
        this.hidden = integer(dir, m, "hidden_size");
        this.kvHeads = integer(dir, m, "kv_heads");
        this.headDim = integer(dir, m, "head_dim");
        this.draftVocab = integer(dir, m, "draft_vocab");
        this.targetVocab = integer(dir, m, "vocab");
        this.maxWindow = integer(dir, m, "max_window");
        this.maxContext = integer(dir, m, "max_context");
        this.featureLayers = ints(dir, m, "feature_layers");
        this.draftToTarget = ints(dir, m, "d2t");
        this.masked = m.has("masked_value") ? m.get("masked_value").getAsFloat() : -1e9f;
        this.dtypeCode = switch (string(dir, m, "dtype")) {
            case "float32" -> AotiNative.FLOAT32;
            case "bfloat16" -> AotiNative.BFLOAT16;
            case "float16" -> AotiNative.FLOAT16;
            default -> throw new ModelFormatException(dir + ": dtype must be float32, bfloat16 or float16, got "
                    + string(dir, m, "dtype"));
        };
        if (draftToTarget.length != draftVocab) {
            throw new ModelFormatException(dir + ": d2t holds " + draftToTarget.length + " ids, draft_vocab is "
                    + draftVocab);
        }
        for (int id : draftToTarget) {
            if (id < 0 || id >= targetVocab) {
                throw new ModelFormatException(dir + ": d2t names id " + id + " outside the target's " + targetVocab);
            }
        }
        this.graphs = new GraphOwnership(stream, maxWindow, dtypeCode, 1, 2, kvHeads, maxContext, headDim);
    }

    /** Whether {@code dir} holds a compiled feature draft (its manifest's architecture says so). */
    public static boolean isExport(Path dir) {
        try {
            return ARCHITECTURE.equals(manifest(dir).get("architecture").getAsString());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Loads the graphs in {@code dir} onto {@code device}.
     *
     * @throws ModelFormatException     the manifest is missing, of another model or inconsistent
     * @throws IllegalArgumentException the graphs were compiled for another device kind
     * @throws AotiUnavailableException no libtorch, no shim, or no such GPU
     */
    public static AotiFeatureDraft load(Path dir, AotiDevice device) {
        JsonObject m = manifest(dir);
        if (!AotiManifest.FORMAT.equals(string(dir, m, "format")) || !ARCHITECTURE.equals(string(dir, m, "architecture"))) {
            throw new ModelFormatException(dir + " is not a compiled feature draft (format " + m.get("format")
                    + ", architecture " + m.get("architecture") + "); export it with tools/gpu/export_aoti.py --feature-draft");
        }
        if (!string(dir, m, "device").equals(device.kind())) {
            throw new IllegalArgumentException(dir + " was compiled for " + string(dir, m, "device") + ", not for " + device
                    + "; export it again with --device " + device.kind());
        }
        Map<String, String> libraries = new HashMap<>();
        for (JsonElement e : m.getAsJsonArray("graphs")) {
            JsonObject g = e.getAsJsonObject();
            libraries.put(g.get("graph").getAsString(), g.get("library").getAsString());
        }
        for (String name : new String[] {"fc", "step"}) {
            if (!libraries.containsKey(name)) {
                throw new ModelFormatException(dir + ": the manifest names no '" + name + "' graph");
            }
        }
        AotiRuntime.get().require(device);
        AotiStream stream = AotiStream.open(device);
        AotiGraph fc = AotiGraph.load("fc", dir.resolve(libraries.get("fc")), stream);
        try {
            AotiGraph step = AotiGraph.load("step", dir.resolve(libraries.get("step")), stream);
            try {
                return new AotiFeatureDraft(dir, m, stream, fc, step);
            } catch (RuntimeException e) {
                step.close();
                throw e;
            }
        } catch (RuntimeException e) {
            fc.close();
            throw e;
        }
    }

    @Override
    public int hiddenSize() {
        return hidden;
    }

    @Override
    public int draftVocab() {
        return draftVocab;
    }

    @Override
    public int targetVocab() {
        return targetVocab;
    }

    @Override
    public int[] featureLayers() {
        return featureLayers.clone();
    }

    @Override
    public int[] draftToTarget() {
        return draftToTarget.clone();
    }

    @Override
    public String device() {
        return "aoti:" + device;
    }

    /** CUDA graph replays and captures so far over both graphs. */
    public long[] cudaGraphCounts() {
        return new long[] {fc.replays() + step.replays(), fc.captures() + step.captures()};
    }

    @Override
    public State newState(int capacity) {
        if (capacity < 1 || capacity > maxContext) {
            throw new IllegalArgumentException("draft cache of " + capacity + " positions outside [1, " + maxContext
                    + "], the limit " + dir + " was exported with (--max-context)");
        }
        return new AotiState(capacity);
    }

    @Override
    public void close() {
        fc.close();
        step.close();
        ownerTensors.values().forEach(StepTensors::close);
        ownerTensors.clear();
        graphs.close();
    }

    @Override
    public int maxCapacity() {
        return maxContext;
    }

    @Override
    public String toString() {
        return "AotiFeatureDraft[" + device + ", features " + Arrays.toString(featureLayers) + ", " + draftVocab
                + " draft tokens, " + dir + "]";
    }

    /** The tensors a window of {@code rows} rows attending {@code width} slots reads. */
    private record StepTensors(DeviceTensor ints, DeviceTensor tokens, DeviceTensor positions, DeviceTensor writeIndex,
                               DeviceTensor mask, DeviceTensor h, DeviceTensor features) {
        static StepTensors allocate(AotiStream stream, int rows, int width, int hidden, int featureWidth) {
            long stride = AotiCausalLM.intsStride(rows);
            long[] row = {rows};
            long[] unit = {1};
            DeviceTensor ints = DeviceTensor.empty(stream, AotiNative.INT64, 3 * stride);
            return new StepTensors(ints, ints.view(row, unit, 0), ints.view(row, unit, stride),
                    ints.view(row, unit, 2 * stride), DeviceTensor.empty(stream, AotiNative.FLOAT32, rows, width),
                    DeviceTensor.empty(stream, AotiNative.FLOAT32, rows, hidden),
                    DeviceTensor.empty(stream, AotiNative.FLOAT32, rows, featureWidth));
        }

        void close() {
            for (DeviceTensor t : new DeviceTensor[] {tokens, positions, writeIndex, ints, mask, h, features}) {
                t.close();
            }
        }
    }

    /** Which rows of a window's outputs come back to the host. */
    private enum Rows {
        NONE, LAST, ALL
    }

    /** Host buffers of one window shape, reused from step to step: its inputs, and every row's g. */
    private record HostWindow(long[] ints, float[] mask, float[] h, float[] features, float[] g) {
        float[] input(boolean fused) {
            return fused ? features : h;
        }
    }

    private final class AotiState implements FeatureDraftModel.State {
        private final int capacity;
        private final DeviceTensor ownCache;      // when not the graph owner
        private final DeviceTensor cache;
        private final boolean graphed;
        private final int slots;                  // the cache's slots
        private final Map<Long, HostWindow> host = new HashMap<>();          // by step key (rows, width)
        private final Map<Integer, float[]> allLogits = new HashMap<>();       // tree depths' logits by rows
        private boolean closed;

        AotiState(int capacity) {
            this.capacity = capacity;
            DeviceTensor shared = graphs.claim(this);
            this.graphed = shared != null;
            if (graphed) {
                this.ownCache = null;
                this.cache = shared;
                this.slots = maxContext;
            } else {
                this.ownCache = DeviceTensor.empty(stream, dtypeCode, 1, 2, kvHeads, capacity, headDim);
                try {
                    ownCache.zero();
                } catch (RuntimeException e) {
                    ownCache.close();
                    graphs.release(this);
                    throw e;
                }
                this.cache = ownCache;
                this.slots = capacity;
            }
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public void step(float[] input, int inputOff, boolean fused, int token, int position, int firstSlot,
                         float[] gOut, float[] logits) {
            check(position, token);
            HostWindow w = open(1, position + 1);
            oneRow(w, token, position, position);
            Arrays.fill(w.mask(), Math.max(0, firstSlot), position + 1, 0f);
            System.arraycopy(input, inputOff, w.input(fused), 0, fused ? featureWidth() : hidden);
            run(w, 1, fused, Rows.LAST, gOut, logits);
        }

        /**
         * The depth's nodes as windows of up to the export's max_window rows, each row masked to its
         * own ancestors: rows of one depth never see each other, so any split is exact.
         */
        @Override
        public void treeSteps(float[][] parentGs, int[] tokens, int[] positions, int[] slots, int rows, int firstSlot,
                              int lastSlot, int[][] extraSlots, int[] extraCounts, float[][] gOut, float[] logits) {
            for (int start = 0; start < rows; start += maxWindow) {
                int n = Math.min(maxWindow, rows - start);
                int attended = lastSlot + 1;
                for (int r = start; r < start + n; r++) {
                    check(slots[r], tokens[r]);
                    attended = Math.max(attended, slots[r] + 1);
                    for (int i = 0; i < extraCounts[r]; i++) {
                        attended = Math.max(attended, extraSlots[r][i] + 1);
                    }
                }
                HostWindow w = open(n, attended);
                int stride = AotiCausalLM.intsStride(n);
                int width = w.mask().length / n;
                for (int i = 0; i < n; i++) {
                    int r = start + i;
                    w.ints()[i] = tokens[r];
                    w.ints()[stride + i] = positions[r];
                    w.ints()[2 * stride + i] = slots[r];
                    Arrays.fill(w.mask(), i * width + Math.max(0, firstSlot), i * width + lastSlot + 1, 0f);
                    for (int e = 0; e < extraCounts[r]; e++) {
                        w.mask()[i * width + extraSlots[r][e]] = 0f;
                    }
                    System.arraycopy(parentGs[r], 0, w.h(), i * hidden, hidden);
                }
                run(w, n, false, Rows.ALL, null, null);
                for (int i = 0; i < n; i++) {
                    System.arraycopy(w.g(), i * hidden, gOut[start + i], 0, hidden);
                }
                System.arraycopy(allLogits(n), 0, logits, start * draftVocab, n * draftVocab);
            }
        }

        /** Windows of up to the export's max_window rows, each row causal over the slots before it. */
        @Override
        public void fusedSteps(float[] features, int offset, int featureWidth, int[] tokens, int first, int count,
                               int firstSlot, float[] gOut, float[] logits) {
            for (int start = 0; start < count; start += maxWindow) {
                int rows = Math.min(maxWindow, count - start);
                int p0 = first + start;
                for (int p = p0; p < p0 + rows; p++) {
                    check(p, tokens[p]);
                }
                HostWindow w = open(rows, p0 + rows);
                int stride = AotiCausalLM.intsStride(rows);
                int width = w.mask().length / rows;
                for (int r = 0; r < rows; r++) {
                    w.ints()[r] = tokens[p0 + r];
                    w.ints()[stride + r] = p0 + r;
                    w.ints()[2 * stride + r] = p0 + r;
                    Arrays.fill(w.mask(), r * width + Math.max(0, firstSlot), r * width + p0 + r + 1, 0f);
                }
                // only the last window's last row predicts anything; the others fill the cache
                boolean last = start + rows == count;
                System.arraycopy(features, offset + start * featureWidth, w.features(), 0, rows * featureWidth);
                run(w, rows, true, last ? Rows.LAST : Rows.NONE, gOut, logits);
            }
        }

        /**
         * The host buffers of a window of {@code rows} attending {@code attended} slots (the
         * attended width rounded up when graphed), the mask all masked.
         */
        private HostWindow open(int rows, int attended) {
            if (closed) {
                throw new IllegalStateException("draft state is closed");
            }
            int width = graphed(rows) ? Math.min(slots, AotiCausalLM.attendedWidth(attended, maxContext)) : attended;
            HostWindow w = host.computeIfAbsent(AotiCausalLM.stepKey(rows, width), k -> new HostWindow(
                    new long[3 * AotiCausalLM.intsStride(rows)], new float[rows * width],
                    new float[rows * hidden], new float[rows * featureWidth()], new float[rows * hidden]));
            Arrays.fill(w.mask(), masked);
            return w;
        }

        /** A one-row window's token, position and cache slot. */
        private void oneRow(HostWindow w, int token, int position, int slot) {
            int stride = AotiCausalLM.intsStride(1);
            w.ints()[0] = token;
            w.ints()[stride] = position;
            w.ints()[2 * stride] = slot;
        }

        private void check(int slot, int token) {
            if (slot < 0 || slot >= capacity) {
                throw new IllegalStateException("draft cache slot " + slot + " outside its cache of " + capacity
                        + " positions");
            }
            if (token < 0 || token >= targetVocab) {
                throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + targetVocab);
            }
        }

        private boolean graphed(int rows) {
            return graphed && rows <= graphs.window();
        }

        /**
         * Runs a window from its host buffers (the rows' features when {@code fused}, else their h) and
         * brings back what {@code back} says: nothing, the last row's g and logits into the arrays
         * given (each when not null), or every row's g into w.g() and logits into {@link #allLogits}.
         */
        private void run(HostWindow w, int rows, boolean fused, Rows back, float[] gOut, float[] logits) {
            int width = w.mask().length / rows;
            long key = AotiCausalLM.stepKey(rows, width);
            boolean replay = graphed(rows);
            StepTensors t = replay
                    ? ownerTensors.computeIfAbsent(key, k -> StepTensors.allocate(stream, rows, width, hidden, featureWidth()))
                    : StepTensors.allocate(stream, rows, width, hidden, featureWidth());
            try {
                t.ints().write(w.ints());
                t.mask().write(w.mask());
                DeviceTensor hIn = fused ? t.features() : t.h();
                AotiNative.writeFloats(hIn.handle(), w.input(fused), stream.deviceIndex(), stream.handle());
                DeviceTensor[] fusedOut = null;
                if (fused) {
                    fusedOut = replay ? fc.runStep(key, t.features()) : fc.run(t.features());
                    if (replay) {
                        t.h().copyFrom(fusedOut[0]); // a replayed step reads its h at a fixed address
                        hIn = t.h();
                    } else {
                        hIn = fusedOut[0];
                    }
                }
                try {
                    DeviceTensor[] out = replay
                            ? step.runStep(key, t.tokens(), hIn, t.positions(), t.mask(), t.writeIndex(), cache)
                            : step.run(t.tokens(), hIn, t.positions(), t.mask(), t.writeIndex(), cache);
                    switch (back) {
                        case ALL -> readAll(out, rows, w.g());
                        case LAST -> read(out, rows, gOut, logits);
                        case NONE -> close(out);
                    }
                } finally {
                    if (fusedOut != null) {
                        fusedOut[0].close();
                    }
                }
            } finally {
                if (!replay) {
                    t.close();
                }
            }
        }

        /** The last row's g into {@code gOut} and logits into {@code logits}, each when given; closes the outputs. */
        private void read(DeviceTensor[] out, int rows, float[] gOut, float[] logits) {
            try {
                if (gOut != null) {
                    lastRow(out[0], rows, hidden, gOut);
                }
                if (logits != null) {
                    lastRow(out[1], rows, draftVocab, logits);
                }
            } finally {
                close(out);
            }
        }

        /** Every row's g into {@code g} and logits into {@link #allLogits}{@code (rows)}; closes the outputs. */
        private void readAll(DeviceTensor[] out, int rows, float[] g) {
            try {
                AotiNative.toFloats(out[0].handle(), g, stream.deviceIndex(), stream.handle());
                AotiNative.toFloats(out[1].handle(), allLogits(rows), stream.deviceIndex(), stream.handle());
            } finally {
                close(out);
            }
        }

        /** The host copy of a {@code rows}-row window's logits (a tree depth's), kept per row count. */
        private float[] allLogits(int rows) {
            return allLogits.computeIfAbsent(rows, r -> new float[r * draftVocab]);
        }

        private void close(DeviceTensor[] out) {
            out[0].close();
            out[1].close();
        }

        private void lastRow(DeviceTensor all, int rows, int width, float[] into) {
            if (rows == 1) {
                AotiNative.toFloats(all.handle(), into, stream.deviceIndex(), stream.handle());
                return;
            }
            try (DeviceTensor row = all.view(new long[] {1, width}, new long[] {width, 1}, (long) (rows - 1) * width)) {
                AotiNative.toFloats(row.handle(), into, stream.deviceIndex(), stream.handle());
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                if (ownCache != null) {
                    ownCache.close();
                }
                graphs.release(this);
            }
        }
    }

    private static JsonObject manifest(Path dir) {
        Path file = dir.resolve(AotiManifest.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException("no AOTI manifest at " + file
                    + "; export the feature draft with tools/gpu/export_aoti.py --feature-draft");
        }
        try {
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static JsonElement require(Path dir, JsonObject m, String key) {
        JsonElement e = m.get(key);
        if (e == null || e.isJsonNull()) {
            throw new ModelFormatException(dir.resolve(AotiManifest.FILE_NAME) + " lacks '" + key + "'");
        }
        return e;
    }

    private static String string(Path dir, JsonObject m, String key) {
        return require(dir, m, key).getAsString();
    }

    private static int integer(Path dir, JsonObject m, String key) {
        return require(dir, m, key).getAsInt();
    }

    private static int[] ints(Path dir, JsonObject m, String key) {
        JsonElement e = require(dir, m, key);
        if (!e.isJsonArray()) {
            throw new ModelFormatException(dir.resolve(AotiManifest.FILE_NAME) + ": '" + key + "' must be a list");
        }
        return e.getAsJsonArray().asList().stream().mapToInt(JsonElement::getAsInt).toArray();
    }
}
