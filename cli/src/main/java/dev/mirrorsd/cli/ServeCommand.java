package dev.mirrorsd.cli;

import dev.mirrorsd.pipeline.Generator;
import dev.mirrorsd.server.OpenAiServer;
import dev.mirrorsd.server.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code mirror-sd serve}: the target behind an OpenAI-compatible HTTP API (docs/guide/server.md). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the target over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/completions,"
                + " /v1/models, /health, /metrics).")
final class ServeCommand implements Callable<Integer> {

    @Mixin
    ModelOptions models;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}:"
            + " this machine only; 0.0.0.0 to serve the network).")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "TCP port, 0 = any free one (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' on /v1/* (default:"
            + " $MIRRORSD_API_KEY, else none).")
    String apiKey;

    @Option(names = "--served-model-name", description = "The model's name in /v1/models and requests"
            + " (default: the target's file or folder name).")
    String servedModelName;

    @Option(names = "--max-concurrent", defaultValue = "1", description = "Requests decoding at once (default"
            + " ${DEFAULT-VALUE}: on a few CPU cores, one request at a time is fastest per request).")
    int maxConcurrent;

    @Option(names = "--max-queued", defaultValue = "64", description = "Requests waiting for a slot in arrival"
            + " order; one more is answered 429 (default ${DEFAULT-VALUE}).")
    int maxQueued;

    @Override
    public Integer call() throws InterruptedException {
        String key = apiKey != null ? apiKey : System.getenv("MIRRORSD_API_KEY");
        ServerOptions options = new ServerOptions(host, port, modelName(), key, maxConcurrent, maxQueued);
        try (Generator generator = models.openGenerator();
             OpenAiServer server = OpenAiServer.start(generator, options)) {
            // scripts and tests wait for this line (or poll /health) before sending requests
            System.out.printf("mirror-sd serving %s (%s) on http://%s:%d%n", options.modelName(), generator.strategy(),
                    host, server.port());
            System.out.flush();
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
            server.awaitTermination();
        }
        return 0;
    }

    private String modelName() {
        if (servedModelName != null) {
            return servedModelName;
        }
        String name = models.targetPath().getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - ".gguf".length()) : name;
    }
}
