package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.model.ModelFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only, little-endian memory map of a whole file, in chunks so that files past 2 GB work
 * (one {@link MappedByteBuffer} addresses at most 2 GB). Chunk {@code i} starts at
 * {@code i * chunkBytes} and runs {@code overlapBytes} into the next one, so any range of at most
 * {@code overlapBytes} lies inside a single chunk and can be handed out as one buffer.
 *
 * <p>Not thread-safe for concurrent use of the returned buffers' positions; each {@link #slice}
 * returns a fresh buffer, so callers never share one.
 */
final class MappedFile implements AutoCloseable {
    static final long DEFAULT_CHUNK_BYTES = 1L << 30;
    static final int DEFAULT_OVERLAP_BYTES = 1 << 20;

    private final Path path;
    private final long size;
    private final long chunkBytes;
    private final int overlapBytes;
    private final MappedByteBuffer[] chunks;

    private MappedFile(Path path, long size, long chunkBytes, int overlapBytes, MappedByteBuffer[] chunks) {
        this.path = path;
        this.size = size;
        this.chunkBytes = chunkBytes;
        this.overlapBytes = overlapBytes;
        this.chunks = chunks;
    }

    static MappedFile open(Path path) {
        return open(path, DEFAULT_CHUNK_BYTES, DEFAULT_OVERLAP_BYTES);
    }

    /** Small chunks exist for tests, which use them to exercise reads across chunk borders. */
    static MappedFile open(Path path, long chunkBytes, int overlapBytes) {
        if (chunkBytes <= 0 || overlapBytes <= 0 || chunkBytes + overlapBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("chunkBytes + overlapBytes must fit one buffer, got "
                    + chunkBytes + " + " + overlapBytes);
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            int count = (int) Math.max(1, (size + chunkBytes - 1) / chunkBytes);
            MappedByteBuffer[] chunks = new MappedByteBuffer[count];
            for (int i = 0; i < count; i++) {
                long start = i * chunkBytes;
                long length = Math.min(size - start, chunkBytes + overlapBytes);
                chunks[i] = channel.map(FileChannel.MapMode.READ_ONLY, start, Math.max(0, length));
            }
            // The mapping outlives the channel; it is released when the buffers are collected.
            return new MappedFile(path, size, chunkBytes, overlapBytes, chunks);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path + ": no such file");
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    Path path() {
        return path;
    }

    long size() {
        return size;
    }

    /** Largest range {@link #slice} hands out. */
    int maxSliceBytes() {
        return overlapBytes;
    }

    /**
     * A little-endian view of {@code [offset, offset + length)}, positioned at 0. The caller has
     * checked that the range lies inside the file.
     */
    ByteBuffer slice(long offset, int length) {
        if (length > overlapBytes || offset < 0 || offset + length > size) {
            throw new IllegalArgumentException("slice [" + offset + ", +" + length + ") of " + path
                    + " (size " + size + ", max slice " + overlapBytes + ")");
        }
        int chunk = (int) (offset / chunkBytes);
        int start = (int) (offset - chunk * chunkBytes);
        return chunks[chunk].slice(start, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Copies {@code dst.length} bytes from {@code offset}, across chunk borders if need be. */
    void read(long offset, byte[] dst) {
        int done = 0;
        while (done < dst.length) {
            int n = Math.min(overlapBytes, dst.length - done);
            slice(offset + done, n).get(dst, done, n);
            done += n;
        }
    }

    @Override
    public void close() {
        // Nothing to release eagerly: Java 17 offers no public unmap; the buffers go with this object.
    }
}
