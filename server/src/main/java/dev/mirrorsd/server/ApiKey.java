package dev.mirrorsd.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The bearer key every request must carry when the server was given one. Compared in constant
 * time over SHA-256 digests: equal lengths whatever the key, so neither the key's bytes nor its
 * length leak through the time a refusal takes.
 */
final class ApiKey {
    private static final String BEARER = "Bearer ";
    private final byte[] digest; // null: no key, every request admitted

    private ApiKey(byte[] digest) {
        this.digest = digest;
    }

    /** No key: every request is admitted. */
    static ApiKey none() {
        return new ApiKey(null);
    }

    static ApiKey of(String key) {
        if (key == null) {
            return none();
        }
        if (key.isBlank()) {
            throw new IllegalArgumentException("the API key must not be blank");
        }
        return new ApiKey(sha256(key));
    }

    boolean required() {
        return digest != null;
    }

    /** Whether {@code authorization} (the header's value, or null) is {@code Bearer KEY} with this key. */
    boolean admits(String authorization) {
        if (digest == null) {
            return true;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(authorization.substring(BEARER.length()).strip()));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
