package dev.mirrorsd.server;

/**
 * How the server listens and admits requests.
 *
 * @param host          the address to bind; loopback unless the server is meant to be reached from elsewhere
 * @param port          the TCP port; 0 picks a free one ({@link OpenAiServer#port()} tells which)
 * @param modelName     the model's name in {@code /v1/models} and in requests' {@code model} field
 * @param apiKey        the bearer key {@code /v1/*} requests must carry, or null for none
 * @param maxConcurrent requests decoding at once, >= 1
 * @param maxQueued     requests waiting for a slot, in arrival order, >= 0; one more is answered 429
 */
public record ServerOptions(String host, int port, String modelName, String apiKey, int maxConcurrent,
                            int maxQueued) {

    public ServerOptions {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
        if (modelName == null || modelName.isBlank()) {
            throw new IllegalArgumentException("model name must not be blank");
        }
        if (maxConcurrent < 1) {
            throw new IllegalArgumentException("max concurrent requests must be >= 1, got " + maxConcurrent);
        }
        if (maxQueued < 0) {
            throw new IllegalArgumentException("max queued requests must be >= 0, got " + maxQueued);
        }
    }

    /** Loopback, port 8000, no key, 1 request decoding and 64 waiting. */
    public static ServerOptions defaults(String modelName) {
        return new ServerOptions("127.0.0.1", 8000, modelName, null, 1, 64);
    }

    public ServerOptions withPort(int p) {
        return new ServerOptions(host, p, modelName, apiKey, maxConcurrent, maxQueued);
    }

    public ServerOptions withApiKey(String key) {
        return new ServerOptions(host, port, modelName, key, maxConcurrent, maxQueued);
    }

    public ServerOptions withAdmission(int concurrent, int queued) {
        return new ServerOptions(host, port, modelName, apiKey, concurrent, queued);
    }
}
