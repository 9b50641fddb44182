package dev.mirrorsd.mapping;

/**
 * A device plan that cannot be read or cannot run here. The message is meant for the user as is:
 * it names the bad entry and lists what would be valid.
 */
public class DevicePlanException extends IllegalArgumentException {
    public DevicePlanException(String message) {
        super(message);
    }
}
