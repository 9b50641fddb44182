package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.model.ModelFormatException;

import java.nio.charset.StandardCharsets;

/**
 * A cursor over a mapped GGUF file that reads its little-endian primitives and strings. Every read
 * is checked against the file's end first, so a truncated or corrupt file fails with a message
 * naming the file, what was being read and where, never with an OutOfMemoryError or a buffer
 * exception.
 */
final class GgufReader {
    private final MappedFile file;
    private long position;

    GgufReader(MappedFile file, long position) {
        this.file = file;
        this.position = position;
    }

    long position() {
        return position;
    }

    void seek(long position) {
        this.position = position;
    }

    long remaining() {
        return file.size() - position;
    }

    String fileName() {
        return file.path().toString();
    }

    /** A format error at the current position, naming the file. */
    ModelFormatException error(String problem) {
        return new ModelFormatException(fileName() + ": " + problem + " (at byte " + position + ")");
    }

    /** Fails unless {@code bytes} more bytes exist; {@code what} names the item for the message. */
    void require(long bytes, String what) {
        if (bytes < 0 || bytes > remaining()) {
            throw error("truncated " + what + ": needs " + Long.toUnsignedString(bytes) + " bytes, "
                    + remaining() + " left in the file");
        }
    }

    int u8(String what) {
        require(1, what);
        return file.slice(position++, 1).get() & 0xFF;
    }

    int u16(String what) {
        require(2, what);
        int v = file.slice(position, 2).getShort() & 0xFFFF;
        position += 2;
        return v;
    }

    /** An unsigned 32-bit value, widened so that it stays non-negative. */
    long u32(String what) {
        return i32(what) & 0xFFFFFFFFL;
    }

    int i32(String what) {
        require(4, what);
        int v = file.slice(position, 4).getInt();
        position += 4;
        return v;
    }

    /** A 64-bit value; unsigned ones above {@link Long#MAX_VALUE} come back negative. */
    long i64(String what) {
        require(8, what);
        long v = file.slice(position, 8).getLong();
        position += 8;
        return v;
    }

    /** A length or count: a u64 that must also fit what is left of the file at {@code minBytesEach} each. */
    long count(String what, long minBytesEach) {
        long start = position;
        long n = i64(what);
        if (n < 0 || (minBytesEach > 0 && n > remaining() / minBytesEach)) {
            position = start;
            throw error("absurd " + what + " " + Long.toUnsignedString(n) + ": the file has only "
                    + (remaining() - 8) + " bytes left (truncated or corrupt file)");
        }
        return n;
    }

    /** A GGUF string: u64 byte length, then UTF-8 bytes (no terminator). */
    String string(String what) {
        long length = count(what + " length", 1);
        if (length > Integer.MAX_VALUE - 8) {
            throw error(what + " of " + length + " bytes is longer than any string Java holds");
        }
        int n = (int) length;
        byte[] bytes = new byte[n];
        file.read(position, bytes);
        position += n;
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
