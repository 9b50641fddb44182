package dev.mirrorsd.core.format.gguf;

import dev.mirrorsd.core.model.ModelFormatException;
import dev.mirrorsd.core.model.UnsupportedModelException;
import dev.mirrorsd.core.weights.HostTensor;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An open GGUF file (versions 2 and 3, little-endian): its metadata, its tensor table, and its
 * tensors read as fp32 {@link HostTensor}s in PyTorch's dimension order. The file is memory-mapped;
 * nothing but the header is read until a tensor is asked for.
 *
 * <p>Layout: magic "GGUF", u32 version, u64 tensor count, u64 metadata count, the metadata
 * key/values, the tensor infos (name, u32 rank, u64 dims innermost first, u32 ggml type, u64
 * offset), padding to {@code general.alignment} (default 32), then the data section. Opening checks
 * what llama.cpp checks: tensors lie back to back in table order, each at an aligned offset, and all
 * inside the file.
 *
 * <p>Not thread-safe while opening; once open, tensors may be read from several threads.
 */
public final class GgufFile implements AutoCloseable {
    private static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    private static final int MAX_DIMS = 4; // GGML_MAX_DIMS
    /** Smallest tensor info: empty name (8), rank (4), type (4), offset (8). */
    private static final int MIN_TENSOR_INFO_BYTES = 24;
    /** Smallest key/value: empty key (8), type (4), one byte of value. */
    private static final int MIN_KV_BYTES = 13;
    private static final long DEFAULT_ALIGNMENT = 32;

    private final MappedFile file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufTensorInfo> tensors;
    private final long alignment;
    private final long dataStart;

    private GgufFile(MappedFile file, int version, Map<String, Object> metadata,
                     Map<String, GgufTensorInfo> tensors, long alignment, long dataStart) {
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.alignment = alignment;
        this.dataStart = dataStart;
    }

    /** Opens and checks {@code path}; errors name the file and the problem. */
    public static GgufFile open(Path path) {
        return open(MappedFile.open(path));
    }

    /** Package-private so that tests can map with small chunks and read across chunk borders. */
    static GgufFile open(MappedFile file) {
        GgufReader in = new GgufReader(file, 0);
        String name = file.path().toString();
        if (file.size() < 4 || in.i32("magic") != MAGIC) {
            throw new ModelFormatException(name + ": not a GGUF file (bad magic; expected \"GGUF\")");
        }
        int version = in.i32("version");
        if (version != 2 && version != 3) {
            throw new UnsupportedModelException(name + ": unsupported GGUF version " + version
                    + "; supported: 2, 3");
        }
        long tensorCount = in.count("tensor count", MIN_TENSOR_INFO_BYTES);
        long kvCount = in.count("metadata count", MIN_KV_BYTES);
        Map<String, Object> metadata = new GgufMetadataParser(in).read(kvCount);
        long alignment = alignment(metadata, name);
        Map<String, GgufTensorInfo> tensors = readTensorInfos(in, tensorCount, alignment);
        long dataStart = align(in.position(), alignment);
        checkDataSection(name, file.size(), dataStart, tensors.values(), alignment);
        return new GgufFile(file, version, metadata, tensors, alignment, dataStart);
    }

    private static long alignment(Map<String, Object> metadata, String name) {
        Object value = metadata.get("general.alignment");
        if (value == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(value instanceof Long a) || a <= 0 || Long.bitCount(a) != 1) {
            throw new ModelFormatException(name + ": general.alignment must be a power of two, got " + value);
        }
        return a;
    }

    private static Map<String, GgufTensorInfo> readTensorInfos(GgufReader in, long count, long alignment) {
        Map<String, GgufTensorInfo> infos = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            String tensorName = in.string("name of tensor #" + i);
            String what = "tensor '" + tensorName + "' (#" + i + " of " + count + ")";
            long rank = in.u32("rank of " + what);
            if (rank > MAX_DIMS) {
                throw in.error(what + " has " + rank + " dimensions; GGUF allows at most " + MAX_DIMS
                        + " (is the tensor count in the header right?)");
            }
            long[] dims = new long[(int) rank];
            for (int d = 0; d < rank; d++) {
                dims[d] = in.i64("dimension " + d + " of " + what);
                if (dims[d] < 0) {
                    throw in.error(what + " has negative dimension " + dims[d]);
                }
            }
            GgmlType type = GgmlType.fromId(in.i32("type of " + what), in.fileName() + ": " + what);
            long offset = in.i64("data offset of " + what);
            if (rank > 0 && dims[0] % type.blockSize() != 0) {
                throw in.error(what + " has " + dims[0] + " elements per row, not a multiple of "
                        + type + "'s block of " + type.blockSize());
            }
            if (offset < 0 || offset % alignment != 0) {
                throw in.error(what + " has data offset " + offset + ", not a multiple of the alignment "
                        + alignment);
            }
            GgufTensorInfo info = new GgufTensorInfo(tensorName, dims, type, offset);
            try {
                info.byteSize();
            } catch (ArithmeticException e) {
                throw in.error(what + " has absurd dimensions " + Arrays.toString(dims));
            }
            if (infos.put(tensorName, info) != null) {
                throw in.error("tensor '" + tensorName + "' appears twice");
            }
        }
        return Collections.unmodifiableMap(infos);
    }

    /**
     * Tensors must follow each other in table order, each padded to the alignment, as every GGUF
     * writer lays them out; that, and a data section that ends where the last tensor does, catches a
     * header whose tensor count is wrong.
     */
    private static void checkDataSection(String name, long fileSize, long dataStart,
                                         Iterable<GgufTensorInfo> tensors, long alignment) {
        long expected = 0;
        long end = 0;
        for (GgufTensorInfo t : tensors) {
            if (t.dataOffset() != expected) {
                throw new ModelFormatException(name + ": tensor '" + t.name() + "' starts at data offset "
                        + t.dataOffset() + ", expected " + expected
                        + " (tensors must be contiguous; is the tensor count in the header right?)");
            }
            // compared as sizes, not as an end offset, which overflows for absurd tensor sizes
            if (t.byteSize() > fileSize - dataStart - t.dataOffset()) {
                throw new ModelFormatException(name + ": data of tensor '" + t.name() + "' (" + t.byteSize()
                        + " bytes at data offset " + t.dataOffset() + ") runs past the end of the file ("
                        + fileSize + " bytes): truncated file");
            }
            end = dataStart + t.dataOffset() + t.byteSize();
            expected = align(t.dataOffset() + t.byteSize(), alignment);
        }
        long unclaimed = fileSize - Math.max(align(end, alignment), dataStart);
        if (unclaimed >= alignment) {
            throw new ModelFormatException(name + ": " + unclaimed + " bytes after the last tensor's data"
                    + " belong to no tensor: the header's tensor count does not match the file");
        }
    }

    private static long align(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    public Path path() {
        return file.path();
    }

    /** GGUF format version (2 or 3). */
    public int version() {
        return version;
    }

    /** Every key/value of the file, in file order, typed as {@link GgufMetadataParser} describes. */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The file's Jinja chat template ({@code tokenizer.chat_template}), if it has one. */
    public Optional<String> chatTemplate() {
        Object t = metadata.get("tokenizer.chat_template");
        return t instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensors() {
        return new ArrayList<>(tensors.values());
    }

    public boolean hasTensor(String name) {
        return tensors.containsKey(name);
    }

    public Optional<GgufTensorInfo> tensor(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** Alignment of the data section and of every tensor in it, in bytes. */
    public long alignment() {
        return alignment;
    }

    /**
     * Where {@code info}'s data starts, in bytes from the start of the file: engines that map the
     * file themselves and compute on the blocks as stored read from there.
     */
    public long fileOffset(GgufTensorInfo info) {
        return dataStart + info.dataOffset();
    }

    /** Reads tensor {@code name}, widened to fp32, shape outermost first (GGUF's dims reversed). */
    public HostTensor readTensor(String name) {
        GgufTensorInfo info = tensors.get(name);
        if (info == null) {
            throw new ModelFormatException(file.path() + ": no tensor named '" + name + "'");
        }
        return readTensor(info);
    }

    public HostTensor readTensor(GgufTensorInfo info) {
        String where = file.path() + ": tensor '" + info.name() + "'";
        GgmlType type = info.type();
        long elements = info.elementCount();
        type.requireSupported(where);
        if (elements > Integer.MAX_VALUE - 8) {
            throw new UnsupportedModelException(where + " has " + elements
                    + " elements, more than one Java array holds");
        }
        float[] data = new float[(int) elements];
        long blocks = elements / type.blockSize();
        int blocksPerRead = Math.max(1, file.maxSliceBytes() / type.blockBytes());
        long position = dataStart + info.dataOffset();
        int out = 0;
        for (long done = 0; done < blocks; ) {
            int n = (int) Math.min(blocksPerRead, blocks - done);
            ByteBuffer src = file.slice(position, n * type.blockBytes());
            type.dequantize(src, n, data, out, where);
            done += n;
            out += n * type.blockSize();
            position += (long) n * type.blockBytes();
        }
        return new HostTensor(info.shape(), data);
    }

    @Override
    public void close() {
        file.close();
    }
}
