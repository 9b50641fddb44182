package dev.mirrorsd.server;

import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

/**
 * A request refused with OpenAI's error object,
 * {@code {"error": {"message", "type", "param", "code"}}}, and the HTTP status that goes with it.
 * Thrown by the parser and the handlers; the server answers it and goes on serving.
 *
 * @see <a href="https://platform.openai.com/docs/guides/error-codes">OpenAI's error codes</a>
 */
final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param; // the offending request field, or null
    private final String code;  // a machine-readable reason, or null

    private ApiError(int status, String type, String message, String param, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: the request itself is wrong; {@code param} names the field, or null. */
    static ApiError invalid(String message, String param) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    /** 400 with a code, e.g. {@code context_length_exceeded}. */
    static ApiError invalid(String message, String param, String code) {
        return new ApiError(400, "invalid_request_error", message, param, code);
    }

    /** 404 {@code model_not_found}, as OpenAI answers a model it does not serve. */
    static ApiError unknownModel(String model) {
        return new ApiError(404, "invalid_request_error", "The model `" + model + "` does not exist",
                "model", "model_not_found");
    }

    /** 401: no or a wrong API key. */
    static ApiError unauthorized() {
        return new ApiError(401, "invalid_request_error", "Incorrect or missing API key: send the header"
                + " 'Authorization: Bearer KEY' with the key the server was started with", null, "invalid_api_key");
    }

    /** 429: the queue is full; the client should retry after a while. */
    static ApiError overloaded(String message) {
        return new ApiError(429, "rate_limit_exceeded", message, null, "queue_full");
    }

    /** 500: the model failed; the server itself goes on. */
    static ApiError internal(String message) {
        return new ApiError(500, "server_error", message, null, null);
    }

    int status() {
        return status;
    }

    /** OpenAI's error object. */
    JsonObject json() {
        JsonObject error = new JsonObject();
        error.addProperty("message", getMessage());
        error.addProperty("type", type);
        error.add("param", param == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(param));
        error.add("code", code == null ? JsonNull.INSTANCE : new com.google.gson.JsonPrimitive(code));
        JsonObject body = new JsonObject();
        body.add("error", error);
        return body;
    }
}
