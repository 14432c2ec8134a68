package io.nowcast.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * container, the file format of Nowcast models.
 *
 * <h2>Format</h2>
 * <pre>
 *   bytes 0..8        N, the header length: unsigned 64-bit little-endian integer
 *   bytes 8..8+N      the header: UTF-8 JSON object, optionally padded at the end with spaces
 *   bytes 8+N..end    the data section: the tensors' raw little-endian element bytes
 * </pre>
 * The header maps each tensor name to {@code {"dtype": "F32", "shape": [d0, d1, ...],
 * "data_offsets": [begin, end]}}, offsets being byte positions relative to the start of the data
 * section (begin inclusive, end exclusive). Shapes are row-major (PyTorch order); the shape
 * {@code []} is a scalar of one element. The optional key {@code "__metadata__"} maps to an object
 * whose values are all strings. See {@code schemas/model-file.md} for the full description.
 *
 * <h2>Writing</h2>
 * {@link #write} and {@link #toBytes} write float32 ({@code F32}) tensors only, in the order given,
 * with contiguous offsets starting at 0. The header is compact JSON ({@code __metadata__} first,
 * omitted when the metadata is null or empty; then the tensors, each with the fields {@code dtype,
 * shape, data_offsets} in that order), padded with spaces so that its length is a multiple of 8, as
 * the reference implementation does. The output is therefore a deterministic function of the
 * arguments, and rewriting what was read gives back identical bytes.
 *
 * <h2>Reading</h2>
 * {@link #read(Path)} and {@link #read(byte[], String)} accept the dtypes {@code F32, F64, F16,
 * BF16}, all converted to float32 ({@code F64} is rounded to nearest, values out of float range
 * become infinite). The reader is strict and checks the whole header against the actual size of
 * the file before it allocates anything for the data. It guarantees that:
 * <ul>
 *   <li>it throws nothing but {@link ModelFileException} (besides {@link NullPointerException} for
 *       null arguments), with a message naming the file, the tensor or field concerned when there is
 *       one, and what was expected and found;
 *   <li>no allocation is sized by a header number that has not been checked against the real size
 *       of the file, and the header itself is limited to {@link #MAX_HEADER_BYTES};
 *   <li>it takes time linear in the size of the file (plus sorting the tensors by offset), and
 *       refuses anything that is not a regular file, so it never blocks on pipes or devices;
 *   <li>a file that loads is fully consistent: every tensor's element count matches its shape, and
 *       the tensors' byte ranges tile the data section exactly, without gaps, overlaps or trailing
 *       bytes.
 * </ul>
 * The header is refused when: the file is shorter than 8 bytes; N exceeds the file or
 * {@link #MAX_HEADER_BYTES}; the header is not UTF-8, not JSON, or not a JSON object (it must begin
 * with '{'); a key appears twice in any object; {@code __metadata__} is not an object of strings; a
 * tensor entry lacks a field, has an extra one, or has one of the wrong type; the dtype is not one
 * of the four above; a dimension is negative or larger than 2<sup>31</sup>-1, or the element count
 * exceeds what one Java array can hold; a tensor's byte range does not match its shape and dtype, or
 * ends before it begins; the ranges overlap, leave gaps, or do not cover the data section exactly.
 * The tensors may be listed in the header in any order; {@link Contents#tensors()} keeps the header
 * order. Reading also digests the data section as it goes ({@link Contents#dataSha256()}); the
 * format has no checksum of its own, so what a digest is compared with is up to the caller
 * ({@link #dataSha256(Collection)} gives the one {@link #write} will produce).
 *
 * <p>This class handles the length field and the data section; the JSON header is parsed, checked
 * and encoded by {@code SafeTensorsHeader}.
 */
public final class SafeTensors {

    /** Largest header accepted, in bytes (100 MiB). */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    /** Largest element count of one tensor: the largest Java array that can be allocated safely. */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** The header key holding the string-to-string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    private static final int CHUNK_BYTES = 1 << 20; // a multiple of every element size
    private static final int MAX_SHOWN_CHARS = 80;

    private SafeTensors() {
    }

    /**
     * One tensor: its name, shape (row-major, PyTorch order) and data as float32.
     *
     * <p>The shape is copied on construction and on access; the data array is not copied (tensors
     * can be large), so callers must not modify it while the tensor is in use. Two tensors are equal
     * when their names, shapes and data (compared as by {@link Arrays#equals(float[], float[])})
     * are equal.
     */
    public record Tensor(String name, int[] shape, float[] data) {
        /**
         * Checks and creates a tensor.
         *
         * @throws IllegalArgumentException if a dimension is negative, the element count exceeds
         *     {@link SafeTensors#MAX_ELEMENTS}, or {@code data.length} differs from the product of
         *     the dimensions (1 for the scalar shape {@code []})
         */
        public Tensor {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(shape, "shape");
            Objects.requireNonNull(data, "data");
            shape = shape.clone();
            long n = 1;
            for (int d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException(
                            "tensor " + quote(name) + ": negative dimension in shape " + shapeString(shape));
                }
                n = d == 0 || n == 0 ? 0 : Math.min((long) MAX_ELEMENTS + 1, n * d);
            }
            if (n > MAX_ELEMENTS) {
                throw new IllegalArgumentException("tensor " + quote(name) + ": shape " + shapeString(shape)
                        + " has more than " + MAX_ELEMENTS + " elements");
            }
            if (n != data.length) {
                throw new IllegalArgumentException("tensor " + quote(name) + ": shape " + shapeString(shape)
                        + " has " + n + " elements, but data has " + data.length);
            }
        }

        /** The shape (a copy). */
        @Override
        public int[] shape() {
            return shape.clone();
        }

        /** The number of dimensions (0 for a scalar). */
        public int rank() {
            return shape.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Tensor t && name.equals(t.name) && Arrays.equals(shape, t.shape)
                    && Arrays.equals(data, t.data);
        }

        @Override
        public int hashCode() {
            return (name.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Tensor[" + quote(name) + ", shape=" + shapeString(shape) + ", " + data.length + " floats]";
        }
    }

    /**
     * A loaded file: metadata (string to string, in header order, unmodifiable), tensors by name
     * (in header order), and the SHA-256 of the data section (every byte after the header, in file
     * order) as 64 lowercase hex digits.
     */
    public record Contents(Map<String, String> metadata, LinkedHashMap<String, Tensor> tensors, String dataSha256) {
        /**
         * Creates the contents, copying the metadata into an unmodifiable map that keeps its order.
         *
         * @throws IllegalArgumentException if a tensor is stored under a key other than its name
         */
        public Contents {
            Objects.requireNonNull(metadata, "metadata");
            Objects.requireNonNull(tensors, "tensors");
            Objects.requireNonNull(dataSha256, "dataSha256");
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                if (!e.getValue().name().equals(e.getKey())) {
                    throw new IllegalArgumentException("tensor " + quote(e.getValue().name())
                            + " is stored under the key " + quote(e.getKey()));
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Reading

    /**
     * Reads a safetensors file.
     *
     * @throws ModelFileException if the file cannot be read, is not a regular file, or is not a
     *     valid safetensors file (the message names the path and the problem)
     */
    public static Contents read(Path file) throws ModelFileException {
        Objects.requireNonNull(file, "file");
        String name = file.toString();
        try {
            if (!Files.isRegularFile(file)) {
                throw new ModelFileException(name + ": " + (Files.exists(file)
                        ? "not a regular file" : "no such file"));
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                Contents c = parse(new ChannelSource(ch, name, size), name);
                if (ch.size() != size) {
                    throw new ModelFileException(name + ": file changed size while being read (from "
                            + size + " to " + ch.size() + " bytes)");
                }
                return c;
            }
        } catch (ModelFileException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFileException(name + ": cannot read file: " + e, e);
        } catch (RuntimeException e) {
            throw new ModelFileException(name + ": unexpected error while reading: " + e, e);
        }
    }

    /**
     * Reads a safetensors file held in memory.
     *
     * @param sourceName names the bytes in error messages (for example the file they came from)
     * @throws ModelFileException if the bytes are not a valid safetensors file
     */
    public static Contents read(byte[] bytes, String sourceName) throws ModelFileException {
        Objects.requireNonNull(bytes, "bytes");
        String name = sourceName == null ? "<bytes>" : sourceName;
        try {
            return parse(new ArraySource(bytes), name);
        } catch (ModelFileException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFileException(name + ": cannot read: " + e, e);
        } catch (RuntimeException e) {
            throw new ModelFileException(name + ": unexpected error while reading: " + e, e);
        }
    }

    private static Contents parse(Source src, String name) throws IOException {
        long size = src.size();
        if (size < 8) {
            throw fail(name, "file is " + size + " bytes long, expected at least 8 (the header length field)");
        }
        ByteBuffer lenField = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        src.readFully(0, lenField);
        long n = lenField.getLong(0);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw fail(name, "header length field says " + Long.toUnsignedString(n)
                    + " bytes, expected at most " + MAX_HEADER_BYTES);
        }
        if (n > size - 8) {
            throw fail(name, "header length field says " + n + " bytes, but only " + (size - 8)
                    + " bytes follow it (file truncated or not a safetensors file?)");
        }
        byte[] headerBytes = new byte[(int) n];
        src.readFully(8, ByteBuffer.wrap(headerBytes));
        SafeTensorsHeader header = SafeTensorsHeader.parse(headerBytes, name);

        long dataStart = 8 + n;
        long dataLength = size - dataStart;
        // the tensors in data-section order: their ranges tile it, so the digest covers it all, in file order
        MessageDigest sha = sha256();
        Map<String, Tensor> loaded = new HashMap<>();
        for (SafeTensorsHeader.Entry e : header.checkLayout(dataLength, name)) {
            loaded.put(e.name(), load(src, dataStart, e, sha, name));
        }
        LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (SafeTensorsHeader.Entry e : header.entries()) {
            tensors.put(e.name(), loaded.get(e.name()));
        }
        return new Contents(header.metadata(), tensors, HexFormat.of().formatHex(sha.digest()));
    }

    private static Tensor load(Source src, long dataStart, SafeTensorsHeader.Entry e, MessageDigest sha, String name)
            throws IOException {
        int size = e.dtype().size;
        int count = (int) ((e.end() - e.begin()) / size);
        float[] out;
        try {
            out = new float[count];
        } catch (OutOfMemoryError oom) {
            throw fail(name, e.what() + ": not enough memory for " + count + " floats");
        }
        int[] filled = {0};
        src.read(dataStart + e.begin(), e.end() - e.begin(), chunk -> {
            sha.update(chunk.duplicate());
            int k = chunk.remaining() / size;
            convert(e.dtype(), chunk, out, filled[0], k);
            filled[0] += k;
        });
        if (filled[0] != count) { // cannot happen: sources deliver exactly the bytes asked for
            throw fail(name, e.what() + ": read " + filled[0] + " elements, expected " + count);
        }
        return new Tensor(e.name(), e.shape(), out);
    }

    /** Converts {@code count} little-endian elements from {@code in} into {@code out[off..]}. */
    private static void convert(SafeTensorsHeader.DType dtype, ByteBuffer in, float[] out, int off, int count) {
        switch (dtype) {
            case F32 -> in.asFloatBuffer().get(out, off, count);
            case F64 -> {
                DoubleBuffer d = in.asDoubleBuffer();
                for (int i = 0; i < count; i++) {
                    out[off + i] = (float) d.get(i);
                }
            }
            case F16 -> {
                ShortBuffer s = in.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    out[off + i] = halfToFloat(s.get(i));
                }
            }
            case BF16 -> {
                ShortBuffer s = in.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    out[off + i] = Float.intBitsToFloat((s.get(i) & 0xFFFF) << 16);
                }
            }
        }
    }

    /** IEEE 754 binary16 to binary32, exact (every half value is representable as a float). */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) { // infinity or NaN (payload kept)
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) { // zero or subnormal: mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    // ------------------------------------------------------------------------------------------
    // Sources of bytes

    @FunctionalInterface
    private interface ChunkSink {
        /** Receives a little-endian buffer whose remaining bytes are a whole number of elements. */
        void accept(ByteBuffer chunk) throws IOException;
    }

    private interface Source {
        long size();

        /** Fills {@code dst} completely with the bytes from {@code pos} on. */
        void readFully(long pos, ByteBuffer dst) throws IOException;

        /** Delivers the {@code length} bytes from {@code pos} on, in chunks of whole elements. */
        void read(long pos, long length, ChunkSink sink) throws IOException;
    }

    private record ArraySource(byte[] bytes) implements Source {
        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public void readFully(long pos, ByteBuffer dst) {
            dst.put(bytes, (int) pos, dst.remaining());
        }

        @Override
        public void read(long pos, long length, ChunkSink sink) throws IOException {
            sink.accept(ByteBuffer.wrap(bytes, (int) pos, (int) length).slice().order(ByteOrder.LITTLE_ENDIAN));
        }
    }

    private record ChannelSource(FileChannel channel, String name, long size) implements Source {
        @Override
        public void readFully(long pos, ByteBuffer dst) throws IOException {
            long p = pos;
            while (dst.hasRemaining()) {
                int r = channel.read(dst, p);
                if (r < 0) {
                    throw fail(name, "file ended at byte " + p + " although it was " + size
                            + " bytes long when opened (changed while being read?)");
                }
                p += r;
            }
        }

        @Override
        public void read(long pos, long length, ChunkSink sink) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(length, CHUNK_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
            long done = 0;
            while (done < length) {
                buf.clear().limit((int) Math.min(length - done, buf.capacity()));
                readFully(pos + done, buf);
                buf.flip();
                int n = buf.remaining();
                sink.accept(buf);
                done += n;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Writing

    /**
     * Writes tensors as F32 to a file, replacing it if it exists. The bytes are those of
     * {@link #toBytes}; they are written to a temporary file in the same directory which is then
     * moved into place, so a failure never leaves a partial file under the target name.
     *
     * @param metadata string metadata, or null; when null or empty no {@code __metadata__} is written
     * @throws IllegalArgumentException as {@link #toBytes}
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, Map<String, String> metadata, Collection<Tensor> tensors) throws IOException {
        Objects.requireNonNull(file, "file");
        byte[] header = SafeTensorsHeader.encode(metadata, tensors);
        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(header.length).put(header).flip();
                writeFully(ch, head);
                encodeData(tensors, buf -> writeFully(ch, buf));
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /**
     * The SHA-256 of the data section that {@link #write} and {@link #toBytes} produce for these
     * tensors (their F32 bytes, in order), as 64 lowercase hex digits; the same as
     * {@link Contents#dataSha256()} of the file read back.
     */
    public static String dataSha256(Collection<Tensor> tensors) {
        Objects.requireNonNull(tensors, "tensors");
        MessageDigest sha = sha256();
        try {
            encodeData(tensors, sha::update);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a digest does not throw
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Delivers the data section of the tensors as F32, in order, in chunks of whole elements. */
    private static void encodeData(Collection<Tensor> tensors, ChunkSink sink) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : tensors) {
            float[] data = t.data();
            for (int i = 0; i < data.length; ) {
                int k = Math.min(data.length - i, CHUNK_BYTES / 4);
                buf.clear();
                buf.asFloatBuffer().put(data, i, k);
                buf.limit(4 * k);
                sink.accept(buf);
                i += k;
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java", e); // every Java has it
        }
    }

    /**
     * Encodes tensors as F32 in a safetensors file image.
     *
     * @param metadata string metadata, or null; when null or empty no {@code __metadata__} is written
     * @throws IllegalArgumentException if a tensor is named {@code __metadata__}, two tensors share a
     *     name, a name, key or value is not well-formed Unicode (an unpaired surrogate), a metadata
     *     key or value is null, or the result would exceed the largest Java array
     */
    public static byte[] toBytes(Map<String, String> metadata, Collection<Tensor> tensors) {
        byte[] header = SafeTensorsHeader.encode(metadata, tensors);
        long total = 8L + header.length;
        for (Tensor t : tensors) {
            total += 4L * t.data().length;
        }
        if (total > MAX_ELEMENTS) {
            throw new IllegalArgumentException("the file would be " + total
                    + " bytes, too large for a byte array; use write(Path, ...)");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(header.length).put(header);
        for (Tensor t : tensors) {
            out.asFloatBuffer().put(t.data());
            out.position(out.position() + 4 * t.data().length);
        }
        return out.array();
    }

    // ------------------------------------------------------------------------------------------
    // Messages

    static ModelFileException fail(String name, String what) {
        return new ModelFileException(name + ": " + what);
    }

    /** A name from a file, quoted and made safe to print: control characters escaped, long ones cut. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("'");
        int limit = Math.min(s.length(), MAX_SHOWN_CHARS);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F || c == '\'' || c == '\\' || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > limit) {
            b.append("...(").append(s.length()).append(" chars)");
        }
        return b.append('\'').toString();
    }

    static String shapeString(int[] shape) {
        if (shape.length <= 16) {
            return Arrays.toString(shape);
        }
        return Arrays.toString(Arrays.copyOf(shape, 16)).replace("]", ", ... (" + shape.length + " dimensions)]");
    }
}
