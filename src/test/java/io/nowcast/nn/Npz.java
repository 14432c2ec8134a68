package io.nowcast.nn;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A minimal reader for NumPy's {@code .npy} and {@code .npz} files, float32 only: little-endian
 * {@code <f4}, C order, NPY format versions 1 to 3. An {@code .npz} is a zip of {@code name.npy}
 * entries (numpy.savez stores them uncompressed, with zip64 records; {@link ZipFile} reads both).
 */
final class Npz {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** One array: its shape and its values in C order. */
    record Array(int[] shape, float[] data) {
        @Override
        public String toString() {
            return "float32" + Arrays.toString(shape);
        }
    }

    private Npz() {
    }

    /** Every array of an .npz, keyed by name without the {@code .npy} suffix, in file order. */
    static Map<String, Array> read(Path file) throws IOException {
        Map<String, Array> arrays = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                String name = e.getName();
                if (e.isDirectory() || !name.endsWith(".npy")) {
                    continue;
                }
                try (InputStream in = zip.getInputStream(e)) {
                    arrays.put(name.substring(0, name.length() - 4), parseNpy(in.readAllBytes(), name));
                }
            }
        }
        return arrays;
    }

    /** Parses the bytes of one .npy file. */
    static Array parseNpy(byte[] b, String what) throws IOException {
        if (b.length < 10 || !Arrays.equals(Arrays.copyOf(b, 6), MAGIC)) {
            throw new IOException(what + ": not an NPY file");
        }
        int major = b[6] & 0xff;
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = buf.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            headerLen = buf.getInt(8);
            headerStart = 12;
        } else {
            throw new IOException(what + ": unsupported NPY version " + major);
        }
        if (headerLen < 0 || headerStart + headerLen > b.length) {
            throw new IOException(what + ": truncated header");
        }
        String header = new String(b, headerStart, headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, what, "descr");
        if (!descr.equals("<f4")) {
            throw new IOException(what + ": only little-endian float32 ('<f4') is supported, got '" + descr + "'");
        }
        if (group(FORTRAN, header, what, "fortran_order").equals("True")) {
            throw new IOException(what + ": Fortran order is not supported");
        }
        String dims = group(SHAPE, header, what, "shape").trim();
        int[] shape = dims.isEmpty() ? new int[0] : Arrays.stream(dims.split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
        long count = 1;
        for (int d : shape) {
            count *= d;
        }
        int dataStart = headerStart + headerLen;
        if (count > Integer.MAX_VALUE || b.length - dataStart != 4 * count) {
            throw new IOException(what + ": shape " + Arrays.toString(shape) + " needs " + 4 * count
                    + " data bytes, file has " + (b.length - dataStart));
        }
        float[] data = new float[(int) count];
        ByteBuffer.wrap(b, dataStart, 4 * (int) count).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        return new Array(shape, data);
    }

    private static String group(Pattern p, String header, String what, String key) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException(what + ": header has no '" + key + "': " + header.trim());
        }
        return m.group(1);
    }
}
