package dev.mirrorsd.server;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiKeyTest {

    @Test
    void shouldAdmitOnlyTheBearerOfTheKey() {
        ApiKey key = ApiKey.of("s3cret");
        assertTrue(key.required());
        assertTrue(key.admits("Bearer s3cret"));
        assertTrue(key.admits("bearer s3cret")); // the scheme is case-insensitive (RFC 7235)
        assertFalse(key.admits("Bearer s3cre"));
        assertFalse(key.admits("Bearer s3cret2"));
        assertFalse(key.admits("s3cret"));
        assertFalse(key.admits("Basic s3cret"));
        assertFalse(key.admits(""));
        assertFalse(key.admits(null));
    }

    @Test
    void noKeyShouldAdmitEveryRequest() {
        assertFalse(ApiKey.none().required());
        assertTrue(ApiKey.of(null).admits(null));
    }

    @Test
    void aBlankKeyShouldBeRefused() {
        assertThrows(IllegalArgumentException.class, () -> ApiKey.of("  "));
    }
}
