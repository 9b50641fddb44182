import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.mirrorsd.core.Checkpoint;
import dev.mirrorsd.engine.aoti.AotiCausalLM;
import dev.mirrorsd.engine.aoti.AotiDevice;
import dev.mirrorsd.engine.aoti.AotiFeatureDraft;
import dev.mirrorsd.core.engine.Engines;
import dev.mirrorsd.core.engine.ModelSource;
import dev.mirrorsd.core.format.safetensors.SafetensorsFile;
import dev.mirrorsd.core.model.CausalLM;
import dev.mirrorsd.core.model.Logits;
import dev.mirrorsd.core.model.Sequence;
import dev.mirrorsd.core.model.Window;
import dev.mirrorsd.core.tokenizer.ChatMessage;
import dev.mirrorsd.core.tokenizer.TextTokenizer;
import dev.mirrorsd.core.format.gguf.GgufCheckpoint;
import dev.mirrorsd.core.model.FeatureDraftModel;
import dev.mirrorsd.draft.FeatureDraft;
import dev.mirrorsd.draft.MissPolicy;
import dev.mirrorsd.pipeline.Cancellation;
import dev.mirrorsd.pipeline.DraftOptions;
import dev.mirrorsd.pipeline.GenerationConfig;
import dev.mirrorsd.pipeline.GenerationResult;
import dev.mirrorsd.pipeline.GenerationStats;
import dev.mirrorsd.pipeline.MirrorOptions;
import dev.mirrorsd.pipeline.MirrorStats;
import dev.mirrorsd.pipeline.OptionName;
import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.pipeline.Generators;
import dev.mirrorsd.pipeline.Strategy;
import dev.mirrorsd.pipeline.profile.Lane;
import dev.mirrorsd.pipeline.profile.Phase;
import dev.mirrorsd.pipeline.profile.Profiler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The AOTI engine's GPU check and benchmark (tools/gpu/README.md).
 *
 *   GpuCheck reference MODEL.gguf OUT.json            # here, on the CPU: DJL's greedy tokens of the fixture prompts
 *   GpuCheck check REF.json TARGET_DIR DRAFT_DIR DRAFT_WEIGHTS TARGET_DEV DRAFT_DEV OUT.json
 *   GpuCheck mirror REF.json TARGET_DIR DRAFT_DIR DRAFT_WEIGHTS TARGET_DEV DRAFT_DEV OUT.json
 *   GpuCheck decode REF.json TARGET_DIR TARGET_DEV OUT.json
 *   GpuCheck agree REF.json EXPORT_A EXPORT_B DEVICE OUT.json
 *
 * check: greedy tokens of the AOTI target equal the reference's; autoregressive decode tokens/s
 * (engine loop and generate()); serial speculative decoding with the AOTI draft (tokens/s, tau,
 * output equal to autoregressive).
 *
 * mirror: autoregressive vs serial SD (draft, streaming) vs Mirror-SD on one device pair, summed
 * over the first {@code gpucheck.prompts} fixture prompts: tokens/s, tau, Mirror's hit rate and
 * overlap, and whether each run's token ids equal autoregressive's. Mirror's l_e runs over the
 * target export's exit layers (its stage boundaries), or {@code gpucheck.exitLayers}. With
 * {@code gpucheck.featureDraft=DIR} and {@code gpucheck.gguf=TARGET.gguf}, the feature draft too, in Java on
 * the host; with {@code gpucheck.featureGraphs=EXPORT} (export_aoti.py --feature-draft), the same draft's
 * compiled graphs on the draft device as well; {@code gpucheck.trees=NODES:CHILDREN:DEPTH,...} adds its dynamic
 * trees. A prompt file whose prompts name their "task" (tools/gpu/specbench_prompts.py) has each run summed
 * per task as well. {@code gpucheck.phases=true} adds each run's milliseconds per round in each profiled phase (drafting,
 * the target's forward, verification) beside the whole round's.
 *
 * decode: autoregressive decode tokens/s of one target (the synthetic 8B shape): engine loop and
 * generate(), first fixture prompt.
 *
 * agree: two exports of the same weights (a one-row static export and a dynamic-window one of the
 * same synthetic seed, say) give the same greedy tokens on the fixture prompts: where there is no
 * reference, each checks the other. Exits 1 when they differ.
 */
public final class GpuCheck {

    static final List<String> PROMPTS = List.of(
            "What is the capital of France?",
            "Write a haiku about the sea.",
            "Explain in two sentences why the sky is blue.",
            "List three colours and a fruit of each colour.");
    static final int GREEDY = 32;

    public static void main(String[] args) throws Exception {
        if (args[0].equals("reference")) {
            reference(Path.of(args[1]), Path.of(args[2]));
        } else if (args[0].equals("mirror")) {
            mirror(args);
        } else if (args[0].equals("decode")) {
            decode(args);
        } else if (args[0].equals("agree")) {
            agree(args);
        } else {
            check(args);
        }
    }

    /** Greedy tokens of a model, one token per forward, from a fresh cache. */
    static int[] greedy(CausalLM model, int[] prompt, int steps) {
        try (Sequence s = model.newSequence(prompt.length + steps + 1)) {
            Logits last = s.forward(Window.chain(prompt, 0), prompt.length - 1);
            int[] out = new int[steps];
            for (int i = 0; i < steps; i++) {
                out[i] = last.argmax(0);
                if (i + 1 < steps) {
                    last = s.forward(Window.chain(new int[] {out[i]}, s.length()), 0);
                }
            }
            return out;
        }
    }

    static void reference(Path gguf, Path out) throws Exception {
        Checkpoint c = Checkpoint.open(gguf);
        JsonArray prompts = new JsonArray();
        try (CausalLM model = Engines.load(ModelSource.of(c.weights()), "pytorch:cpu");
             Generator chat = Generator.of(model, c.tokenizer(), c.chatTemplate())) {
            for (String text : PROMPTS) {
                int[] ids = chat.encode(List.of(ChatMessage.user(text)));
                JsonObject p = new JsonObject();
                p.addProperty("text", text);
                p.add("ids", new Gson().toJsonTree(ids));
                p.add("greedy", new Gson().toJsonTree(greedy(model, ids, GREEDY)));
                prompts.add(p);
                System.out.println(p);
            }
        }
        JsonObject ref = new JsonObject();
        ref.addProperty("engine", "DJL PyTorch (libtorch 2.7.1) on CPU, float32");
        ref.addProperty("model", gguf.getFileName().toString());
        ref.add("prompts", prompts);
        Files.writeString(out, new GsonBuilder().setPrettyPrinting().create().toJson(ref));
    }

    static void check(String[] args) throws Exception {
        JsonObject ref = JsonParser.parseString(Files.readString(Path.of(args[1]))).getAsJsonObject();
        Path targetDir = Path.of(args[2]);
        Path draftDir = Path.of(args[3]);
        Path draftWeights = Path.of(args[4]);
        AotiDevice targetDevice = AotiDevice.parse(args[5]);
        AotiDevice draftDevice = AotiDevice.parse(args[6]);
        JsonObject report = new JsonObject();
        long t0 = System.nanoTime();
        try (AotiCausalLM target = AotiCausalLM.load(targetDir, targetDevice)) {
            report.addProperty("target", target.toString());
            report.addProperty("target_load_s", (System.nanoTime() - t0) / 1e9);
            // 1. greedy equality with the CPU engine
            boolean allEqual = true;
            JsonArray greedy = new JsonArray();
            int[] firstPrompt = null;
            for (JsonElement e : ref.getAsJsonArray("prompts")) {
                JsonObject p = e.getAsJsonObject();
                int[] ids = ints(p.getAsJsonArray("ids"));
                firstPrompt = firstPrompt == null ? ids : firstPrompt;
                int[] want = ints(p.getAsJsonArray("greedy"));
                int[] got = greedy(target, ids, want.length);
                boolean equal = Arrays.equals(want, got);
                allEqual &= equal;
                JsonObject g = new JsonObject();
                g.addProperty("prompt", p.get("text").getAsString());
                g.addProperty("equal", equal);
                if (!equal) {
                    g.addProperty("cpu", Arrays.toString(want));
                    g.addProperty("gpu", Arrays.toString(got));
                }
                greedy.add(g);
            }
            report.add("greedy_vs_cpu", greedy);
            report.addProperty("greedy_all_equal", allEqual);
            System.out.println("greedy equal to the CPU engine on " + greedy.size() + " prompts: " + allEqual);
            // 2. autoregressive decode speed of the engine loop
            int decode = Integer.getInteger("gpucheck.decode", 256);
            greedy(target, firstPrompt, 16); // warm-up
            try (Sequence s = target.newSequence(firstPrompt.length + decode + 1)) {
                Logits last = s.forward(Window.chain(firstPrompt, 0), firstPrompt.length - 1);
                long start = System.nanoTime();
                for (int i = 0; i < decode; i++) {
                    last = s.forward(Window.chain(new int[] {last.argmax(0)}, s.length()), 0);
                }
                double sec = (System.nanoTime() - start) / 1e9;
                report.addProperty("ar_engine_loop_tokens_per_s", decode / sec);
                report.addProperty("ar_engine_loop_ms_per_token", sec * 1e3 / decode);
                System.out.printf("autoregressive engine loop: %.1f tokens/s (%.3f ms/token)%n", decode / sec, sec * 1e3 / decode);
            }
            // 3. generate(): autoregressive and serial speculative decoding with the AOTI draft
            TextTokenizer tokenizer = new IdsOnly(target.config().vocabSize());
            GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(decode).withIgnoreEos(true);
            int[] arTokens;
            // generators are not closed: Generator.close() closes the models, which this check reuses
            {
                Generator ar = Generators.build(Strategy.AUTOREGRESSIVE, target, tokenizer, null, DraftOptions.defaults());
                ar.generateFromIds(firstPrompt, config.withMaxNewTokens(16), (ids, text) -> { }, new Cancellation());
                GenerationResult r = ar.generateFromIds(firstPrompt, config, (ids, text) -> { }, new Cancellation());
                arTokens = r.tokenIds();
                report.addProperty("ar_generate_tokens_per_s", r.stats().tokensPerSecond());
                System.out.printf("autoregressive generate(): %.1f tokens/s%n", r.stats().tokensPerSecond());
            }
            int[] draftToTarget;
            try (SafetensorsFile f = SafetensorsFile.open(draftWeights)) {
                draftToTarget = f.readIndices("draft_to_target");
            }
            long d0 = System.nanoTime();
            try (AotiCausalLM draft = AotiCausalLM.load(draftDir, draftDevice)) {
                report.addProperty("draft", draft.toString());
                report.addProperty("draft_load_s", (System.nanoTime() - d0) / 1e9);
                JsonArray sd = new JsonArray();
                for (int gamma : new int[] {2, 4, 6}) {
                    for (Strategy strategy : new Strategy[] {Strategy.DRAFT, Strategy.STREAMING}) {
                        DraftOptions options = DraftOptions.defaults().withDraft(draft, null, draftToTarget);
                        {
                            Generator g = Generators.build(strategy, target, tokenizer, null, options);
                            GenerationConfig c = config.withNumAssistantTokens(gamma);
                            g.generateFromIds(firstPrompt, c.withMaxNewTokens(16), (ids, text) -> { }, new Cancellation());
                            GenerationResult r = g.generateFromIds(firstPrompt, c, (ids, text) -> { }, new Cancellation());
                            JsonObject o = new JsonObject();
                            o.addProperty("strategy", strategy.toString());
                            o.addProperty("gamma", gamma);
                            o.addProperty("tokens_per_s", r.stats().tokensPerSecond());
                            o.addProperty("tau", r.stats().meanAcceptedLength());
                            o.addProperty("equal_to_autoregressive", Arrays.equals(arTokens, r.tokenIds()));
                            sd.add(o);
                            System.out.println("serial SD " + o);
                        }
                    }
                }
                report.add("serial_sd", sd);
                graphs(report, "draft", draft);
            }
            graphs(report, "target", target);
        }
        Files.writeString(Path.of(args[7]), new GsonBuilder().setPrettyPrinting().create().toJson(report));
    }

    /** Runs of one strategy and setting over several prompts, summed. */
    static final class Run {
        final String label;
        long tokens;
        long nanos;
        long rounds;
        long accepted;
        long mirrorRounds;
        long hits;
        long rolloutNanos;
        long hiddenNanos;
        long proposalWaitNanos;
        boolean equal = true;
        String failure;
        // each phase's time over the measured prompts (gpucheck.phases=true), where a round's time goes
        final java.util.EnumMap<Phase, Long> phaseNanos = new java.util.EnumMap<>(Phase.class);
        final java.util.Map<String, Run> byTask = new java.util.LinkedHashMap<>();
        final Profiler phases = new Profiler() {
            @Override
            public boolean enabled() {
                return Boolean.getBoolean("gpucheck.phases");
            }

            @Override
            public synchronized void span(Lane lane, Phase phase, long startNanos, long endNanos) {
                phaseNanos.merge(phase, endNanos - startNanos, Long::sum);
            }

            @Override
            public void tokens(long nanos, int count) {
            }
        };

        Run(String label) {
            this.label = label;
        }

        void add(GenerationResult r, int[] reference) {
            GenerationStats s = r.stats();
            tokens += s.newTokens();
            nanos += s.wallTimeNanos();
            rounds += s.rounds();
            accepted += s.acceptedTokens();
            if (s.mirror() != null) {
                MirrorStats m = s.mirror();
                mirrorRounds += m.rounds();
                hits += m.hits();
                rolloutNanos += m.rolloutNanos();
                hiddenNanos += m.hiddenRolloutNanos();
                proposalWaitNanos += m.proposalWaitNanos();
            }
            if (s.draftFailure() != null && failure == null) {
                failure = s.draftFailure();
            }
            if (reference != null) {
                equal &= Arrays.equals(reference, r.tokenIds());
            }
        }

        JsonObject json() {
            JsonObject o = new JsonObject();
            o.addProperty("run", label);
            o.addProperty("tokens", tokens);
            o.addProperty("tokens_per_s", tokens / (nanos / 1e9));
            // tau as GenerationStats.meanAcceptedLength: accepted draft tokens + 1 per round, over all prompts
            o.addProperty("tau", rounds == 0 ? 0 : (double) (accepted + rounds) / rounds);
            if (mirrorRounds > 0) {
                o.addProperty("hit_rate", (double) hits / mirrorRounds);
                o.addProperty("overlap", rolloutNanos == 0 ? 0 : (double) hiddenNanos / rolloutNanos);
                o.addProperty("rollout_ms_per_round", rolloutNanos / 1e6 / mirrorRounds);
                o.addProperty("proposal_wait_ms_per_round", proposalWaitNanos / 1e6 / mirrorRounds);
            }
            if (!phaseNanos.isEmpty() && rounds > 0) {
                JsonObject perRound = new JsonObject();
                phaseNanos.forEach((phase, n) -> perRound.addProperty(phase.name(), n / 1e6 / rounds));
                perRound.addProperty("round", nanos / 1e6 / rounds);
                o.add("phase_ms_per_round", perRound);
            }
            if (!byTask.isEmpty()) {
                JsonObject tasks = new JsonObject();
                byTask.forEach((task, r) -> {
                    JsonObject t = new JsonObject();
                    t.addProperty("tokens_per_s", r.tokens / (r.nanos / 1e9));
                    t.addProperty("tau", r.rounds == 0 ? 0 : (double) (r.accepted + r.rounds) / r.rounds);
                    tasks.add(task, t);
                });
                o.add("by_task", tasks);
            }
            o.addProperty("equal_to_autoregressive", equal);
            if (failure != null) {
                o.addProperty("draft_failure", failure);
            }
            return o;
        }
    }

    static int[] intsProperty(String name, String fallback) {
        return Arrays.stream(System.getProperty(name, fallback).split(",")).map(String::trim).filter(x -> !x.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
    }

    // the task of each mirror prompt (a Spec-Bench prompt file's "task"), or null: runs are also summed per task
    static final List<String> promptTasks = new java.util.ArrayList<>();

    static Run measure(String label, Generator g, List<int[]> prompts, GenerationConfig config, List<int[]> reference,
                       List<int[]> keep) {
        Run run = new Run(label);
        // warm-up: the first prompt, a few tokens
        g.generateFromIds(prompts.get(0), config.withMaxNewTokens(Math.min(16, config.maxNewTokens())), (ids, text) -> { },
                new Cancellation());
        for (int i = 0; i < prompts.size(); i++) {
            GenerationResult r = g.generateFromIds(prompts.get(i), config, (ids, text) -> { }, new Cancellation(),
                    run.phases);
            run.add(r, reference == null ? null : reference.get(i));
            if (i < promptTasks.size() && promptTasks.get(i) != null) {
                run.byTask.computeIfAbsent(promptTasks.get(i), Run::new).add(r, null);
            }
            if (keep != null) {
                keep.add(r.tokenIds());
            }
        }
        System.out.println(run.json());
        return run;
    }

    static void mirror(String[] args) throws Exception {
        JsonObject ref = JsonParser.parseString(Files.readString(Path.of(args[1]))).getAsJsonObject();
        Path targetDir = Path.of(args[2]);
        Path draftDir = Path.of(args[3]);
        Path draftWeights = Path.of(args[4]);
        AotiDevice targetDevice = AotiDevice.parse(args[5]);
        AotiDevice draftDevice = AotiDevice.parse(args[6]);
        int decode = Integer.getInteger("gpucheck.decode", 256);
        int promptCount = Integer.getInteger("gpucheck.prompts", 2);
        int[] gammas = intsProperty("gpucheck.gammas", "2,4");
        int[] kappas = intsProperty("gpucheck.kappas", "1,2");
        List<MissPolicy> missPolicies = new java.util.ArrayList<>();
        for (String name : System.getProperty("gpucheck.onMiss", "redraft,target-step").split(",")) {
            missPolicies.add(OptionName.parse(MissPolicy.class, name.trim(), "miss policy"));
        }
        List<int[]> prompts = new java.util.ArrayList<>();
        for (JsonElement e : ref.getAsJsonArray("prompts")) {
            if (prompts.size() < promptCount) {
                JsonObject prompt = e.getAsJsonObject();
                prompts.add(ints(prompt.getAsJsonArray("ids")));
                promptTasks.add(prompt.has("task") ? prompt.get("task").getAsString() : null);
            }
        }
        int[] draftToTarget;
        try (SafetensorsFile f = SafetensorsFile.open(draftWeights)) {
            draftToTarget = f.readIndices("draft_to_target");
        }
        JsonObject report = new JsonObject();
        report.addProperty("target_device", targetDevice.toString());
        report.addProperty("draft_device", draftDevice.toString());
        report.addProperty("new_tokens_per_prompt", decode);
        report.addProperty("prompts", prompts.size());
        JsonArray runs = new JsonArray();
        try (AotiCausalLM target = AotiCausalLM.load(targetDir, targetDevice);
             AotiCausalLM draft = AotiCausalLM.load(draftDir, draftDevice)) {
            report.addProperty("target", target.toString());
            report.addProperty("draft", draft.toString());
            int[] exits = System.getProperty("gpucheck.exitLayers") != null ? intsProperty("gpucheck.exitLayers", "")
                    : target.manifest().exitLayers().stream().mapToInt(Integer::intValue).toArray();
            report.add("exit_layers", new Gson().toJsonTree(exits));
            TextTokenizer tokenizer = new IdsOnly(target.config().vocabSize());
            GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(decode).withIgnoreEos(true);
            // generators are not closed: Generator.close() closes the models, which this check reuses
            List<int[]> arTokens = new java.util.ArrayList<>();
            runs.add(measure("autoregressive", Generators.build(Strategy.AUTOREGRESSIVE, target, tokenizer, null,
                    DraftOptions.defaults()), prompts, config, null, arTokens).json());
            DraftOptions withDraft = DraftOptions.defaults().withDraft(draft, null, draftToTarget);
            for (int gamma : tokenDraftRuns() ? gammas : new int[0]) {
                GenerationConfig c = config.withNumAssistantTokens(gamma);
                for (Strategy strategy : new Strategy[] {Strategy.DRAFT, Strategy.STREAMING}) {
                    runs.add(measure(strategy + " g" + gamma, Generators.build(strategy, target, tokenizer, null, withDraft),
                            prompts, c, arTokens, null).json());
                }
                for (int exit : mirrorRuns() ? exits : new int[0]) {
                    for (int kappa : kappas) {
                        for (MissPolicy onMiss : missPolicies) {
                            runs.add(mirrorRun("mirror", target, tokenizer, withDraft, gamma, exit, kappa, onMiss,
                                    prompts, c, arTokens).json());
                        }
                    }
                }
            }
            String featureGraphs = System.getProperty("gpucheck.featureGraphs");
            if (featureGraphs != null) {
                try (AotiFeatureDraft onDevice = AotiFeatureDraft.load(Path.of(featureGraphs), draftDevice)) {
                    report.addProperty("feature_graphs", onDevice.toString());
                    featureDraftRuns("feature-gpu", runs, target, tokenizer, onDevice, gammas, exits, kappas,
                            missPolicies, prompts, config, arTokens);
                    long[] counts = onDevice.cudaGraphCounts();
                    report.addProperty("feature_graphs_replays", counts[0]);
                    report.addProperty("feature_graphs_captures", counts[1]);
                }
            }
            String featureDir = System.getProperty("gpucheck.featureDraft");
            if (featureDir != null) {
                // the weights alone: the checkpoint's chat template needs a library the GPU stage leaves out
                FeatureDraft onHost = FeatureDraft.load(Path.of(featureDir),
                        GgufCheckpoint.load(Path.of(System.getProperty("gpucheck.gguf"))));
                featureDraftRuns("feature", runs, target, tokenizer, onHost, gammas, exits, kappas, missPolicies,
                        prompts, config, arTokens);
            }
            graphs(report, "target", target);
            graphs(report, "draft", draft);
        }
        report.add("runs", runs);
        Files.writeString(Path.of(args[7]), new GsonBuilder().setPrettyPrinting().create().toJson(report));
    }

    /**
     * The feature draft (reading the AOTI target's hidden states at its feature layers, which must be
     * exit layers of the export): serial SD, and Mirror-SD at each exit layer at or above its feature
     * layers, as runs named after {@code label}.
     */
    static void featureDraftRuns(String label, JsonArray runs, AotiCausalLM target, TextTokenizer tokenizer,
                                 FeatureDraftModel draft, int[] gammas, int[] exits, int[] kappas,
                                 List<MissPolicy> missPolicies, List<int[]> prompts, GenerationConfig config,
                                 List<int[]> arTokens) {
        int deepest = Arrays.stream(draft.featureLayers()).max().orElseThrow();
        DraftOptions withFeatures = DraftOptions.defaults().withFeatureDraft(draft);
        for (int gamma : gammas) {
            GenerationConfig c = config.withNumAssistantTokens(gamma);
            runs.add(measure(label + "-draft g" + gamma, Generators.build(Strategy.DRAFT, target, tokenizer, null,
                    withFeatures), prompts, c, arTokens, null).json());
            for (int exit : mirrorRuns() ? exits : new int[0]) {
                if (exit < deepest) {
                    continue;
                }
                for (int kappa : kappas) {
                    for (MissPolicy onMiss : missPolicies) {
                        runs.add(mirrorRun(label + "-mirror", target, tokenizer, withFeatures, gamma, exit, kappa,
                                onMiss, prompts, c, arTokens).json());
                    }
                }
            }
        }
        // gpucheck.trees=NODES:CHILDREN:DEPTH[:LOOKUP],...: dynamic trees, verified as one target window a
        // round; LOOKUP the prompt-lookup n-gram that grafts its branch onto them (the default's; 0: none)
        for (String tree : System.getProperty("gpucheck.trees", "").split(",")) {
            if (tree.isBlank()) {
                continue;
            }
            String[] p = tree.trim().split(":");
            int nodes = Integer.parseInt(p[0]);
            int children = Integer.parseInt(p[1]);
            int depth = Integer.parseInt(p[2]);
            DraftOptions o = withFeatures.withDynamicTree(children, nodes);
            if (p.length > 3) {
                o = o.withLookupNgram(Integer.parseInt(p[3]));
            }
            runs.add(measure(label + "-tree n" + nodes + " c" + children + " d" + depth + " lookup" + o.lookupNgram(),
                    Generators.build(Strategy.DRAFT, target, tokenizer, null, o), prompts,
                    config.withNumAssistantTokens(depth), arTokens, null).json());
        }
    }

    /** gpucheck.tokenDraft=false: the feature draft's runs alone. */
    static boolean tokenDraftRuns() {
        return Boolean.parseBoolean(System.getProperty("gpucheck.tokenDraft", "true"));
    }

    /** gpucheck.mirror=false: serial runs only. */
    static boolean mirrorRuns() {
        return Boolean.parseBoolean(System.getProperty("gpucheck.mirror", "true"));
    }

    /** One Mirror-SD setting over {@code draftOptions}' draft; a setting that fails is reported as such. */
    static Run mirrorRun(String label, AotiCausalLM target, TextTokenizer tokenizer, DraftOptions draftOptions,
                         int gamma, int exit, int kappa, MissPolicy onMiss, List<int[]> prompts, GenerationConfig c,
                         List<int[]> arTokens) {
        DraftOptions o = draftOptions.withExitLayer(exit)
                .withMirror(MirrorOptions.defaults().withKappa(kappa).withMissPolicy(onMiss));
        String name = label + " g" + gamma + " l_e" + exit + " k" + kappa + " " + OptionName.of(onMiss);
        try {
            return measure(name, Generators.build(Strategy.MIRROR, target, tokenizer, null, o), prompts, c, arTokens,
                    null);
        } catch (RuntimeException e) {
            e.printStackTrace();
            Run run = new Run(name);
            run.failure = e.toString();
            run.equal = false;
            run.nanos = 1;
            return run;
        }
    }

    static void decode(String[] args) throws Exception {
        JsonObject ref = JsonParser.parseString(Files.readString(Path.of(args[1]))).getAsJsonObject();
        int[] prompt = ints(ref.getAsJsonArray("prompts").get(0).getAsJsonObject().getAsJsonArray("ids"));
        AotiDevice device = AotiDevice.parse(args[3]);
        int decode = Integer.getInteger("gpucheck.decode", 256);
        JsonObject report = new JsonObject();
        long t0 = System.nanoTime();
        try (AotiCausalLM target = AotiCausalLM.load(Path.of(args[2]), device)) {
            report.addProperty("target", target.toString());
            report.addProperty("target_load_s", (System.nanoTime() - t0) / 1e9);
            System.out.printf("loaded %s in %.1f s%n", target, (System.nanoTime() - t0) / 1e9);
            greedy(target, prompt, 16); // warm-up
            double best = 0;
            for (int rep = 0; rep < 3; rep++) {
                try (Sequence s = target.newSequence(prompt.length + decode + 1)) {
                    Logits last = s.forward(Window.chain(prompt, 0), prompt.length - 1);
                    long start = System.nanoTime();
                    for (int i = 0; i < decode; i++) {
                        last = s.forward(Window.chain(new int[] {last.argmax(0)}, s.length()), 0);
                    }
                    double sec = (System.nanoTime() - start) / 1e9;
                    best = Math.max(best, decode / sec);
                    System.out.printf("autoregressive engine loop: %.1f tokens/s (%.3f ms/token)%n", decode / sec,
                            sec * 1e3 / decode);
                }
            }
            report.addProperty("ar_engine_loop_tokens_per_s_best_of_3", best);
            Generator ar = Generators.build(Strategy.AUTOREGRESSIVE, target, new IdsOnly(target.config().vocabSize()), null,
                    DraftOptions.defaults());
            GenerationConfig config = GenerationConfig.defaults().withMaxNewTokens(decode).withIgnoreEos(true);
            ar.generateFromIds(prompt, config.withMaxNewTokens(16), (ids, text) -> { }, new Cancellation());
            GenerationResult r = ar.generateFromIds(prompt, config, (ids, text) -> { }, new Cancellation());
            // the first figure includes the prefill (39 one-row steps with a --max-window 1 export), the second
            // is the engine loop's measure: tokens after the first over the time after the first token
            double decodeRate = (r.stats().newTokens() - 1) * 1e9
                    / (r.stats().wallTimeNanos() - r.stats().timeToFirstTokenNanos());
            report.addProperty("ar_generate_tokens_per_s", r.stats().tokensPerSecond());
            report.addProperty("ar_generate_decode_tokens_per_s", decodeRate);
            System.out.printf("autoregressive generate(): %.1f tokens/s, %.1f after the first token%n",
                    r.stats().tokensPerSecond(), decodeRate);
            graphs(report, "target", target);
        }
        Files.writeString(Path.of(args[4]), new GsonBuilder().setPrettyPrinting().create().toJson(report));
    }

    static void agree(String[] args) throws Exception {
        JsonObject ref = JsonParser.parseString(Files.readString(Path.of(args[1]))).getAsJsonObject();
        AotiDevice device = AotiDevice.parse(args[4]);
        int steps = Integer.getInteger("gpucheck.decode", 64);
        List<int[][]> tokens = new java.util.ArrayList<>();
        JsonObject report = new JsonObject();
        for (int e = 0; e < 2; e++) {
            // one export at a time: two 8B exports need not fit one GPU together
            try (AotiCausalLM model = AotiCausalLM.load(Path.of(args[2 + e]), device)) {
                report.addProperty(e == 0 ? "a" : "b", model + " from " + args[2 + e]);
                JsonArray prompts = ref.getAsJsonArray("prompts");
                int[][] out = new int[prompts.size()][];
                for (int p = 0; p < out.length; p++) {
                    out[p] = greedy(model, ints(prompts.get(p).getAsJsonObject().getAsJsonArray("ids")), steps);
                }
                tokens.add(out);
                graphs(report, e == 0 ? "a" : "b", model);
            }
        }
        boolean all = true;
        JsonArray rows = new JsonArray();
        for (int p = 0; p < tokens.get(0).length; p++) {
            int[] a = tokens.get(0)[p];
            int[] b = tokens.get(1)[p];
            int first = Arrays.mismatch(a, b); // -1: equal
            all &= first < 0;
            JsonObject row = new JsonObject();
            row.addProperty("equal", first < 0);
            row.addProperty("first_difference", first);
            row.addProperty("a", Arrays.toString(a));
            row.addProperty("b", Arrays.toString(b));
            rows.add(row);
            System.out.println("prompt " + p + ": " + (first < 0 ? "equal" : "differ from token " + first));
        }
        report.add("prompts", rows);
        report.addProperty("all_equal", all);
        Files.writeString(Path.of(args[5]), new GsonBuilder().setPrettyPrinting().create().toJson(report));
        System.out.println("greedy tokens of both exports equal on " + rows.size() + " prompts x " + steps + ": " + all);
        if (!all) {
            System.exit(1);
        }
    }

    /** Whether the model replayed CUDA graphs, and how often: the report says which mode a number was taken in. */
    static void graphs(JsonObject report, String name, AotiCausalLM model) {
        long[] counts = model.cudaGraphCounts();
        String off = model.cudaGraphsOff();
        report.addProperty(name + "_cuda_graphs", off == null ? "on" : "off: " + off);
        report.addProperty(name + "_cuda_graph_replays", counts[0]);
        report.addProperty(name + "_cuda_graph_captures", counts[1]);
        System.out.println(name + " CUDA graphs: " + (off == null ? "on" : "off (" + off + ")") + ", replays " + counts[0]
                + ", captures " + counts[1]);
    }

    static int[] ints(JsonArray a) {
        return a.asList().stream().mapToInt(JsonElement::getAsInt).toArray();
    }

    /** The GPU check feeds token ids; no text is decoded. */
    record IdsOnly(int vocab) implements TextTokenizer {
        public int[] encode(String text) {
            throw new UnsupportedOperationException("ids only");
        }

        public String decode(int[] ids) {
            return "";
        }

        public int vocabSize() {
            return vocab;
        }

        public String tokenString(int id) {
            return "";
        }

        public int tokenId(String token) {
            return -1;
        }

        public void close() {
        }
    }
}
