package io.nowcast.tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The OpenBLAS that travels inside the jar (OpenBLAS 0.3.31 for linux-x86_64, from the Maven
 * artifact {@code org.bytedeco:openblas}), so that training and frame models get a current native
 * BLAS, one that knows recent CPUs, with nothing installed on the machine. Its shared libraries
 * are copied once into a folder of their own under the user's cache ({@code $XDG_CACHE_HOME} or
 * {@code ~/.cache}, else the temporary folder), named by their version, and netlib's binding is
 * pointed at it ({@code dev.ludovic.netlib.blas.nativeLibPath}) before it loads.
 *
 * <p>Only the libraries OpenBLAS needs are in the jar (OpenBLAS itself and the GNU Fortran
 * runtime it links); other platforms fall back to a system BLAS or EJML (see {@link Gemms}).
 */
final class BundledOpenBlas {
    static final String VERSION = "0.3.31-1.5.13";
    private static final String PLATFORM = "linux-x86_64";
    private static final String RESOURCES = "/org/bytedeco/openblas/" + PLATFORM + "/";
    private static final String MAIN = "libopenblas.so.0";
    private static final List<String> LIBRARIES = List.of("libgcc_s.so.1", "libquadmath.so.0", "libgfortran.so.5", MAIN);

    private BundledOpenBlas() {
    }

    /** The path of the extracted {@code libopenblas.so.0}, or empty when this platform has none in the jar. */
    static Optional<Path> library() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))
                || BundledOpenBlas.class.getResource(RESOURCES + MAIN) == null) {
            return Optional.empty();
        }
        try {
            Path dir = cacheRoot().resolve("nowcast").resolve("openblas-" + VERSION + "-" + PLATFORM);
            Files.createDirectories(dir);
            for (String lib : LIBRARIES) {
                extract(lib, dir);
            }
            return Optional.of(dir.resolve(MAIN));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg);
        }
        String home = System.getProperty("user.home");
        if (home != null && !home.isBlank() && Files.isWritable(Path.of(home))) {
            return Path.of(home, ".cache");
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Copies one library unless a copy of the same size is there; through a temporary file, so a reader never sees half of one. */
    private static void extract(String name, Path dir) throws IOException {
        java.net.URL url = BundledOpenBlas.class.getResource(RESOURCES + name);
        if (url == null) {
            throw new IOException("not in the jar: " + RESOURCES + name);
        }
        java.net.URLConnection c = url.openConnection();
        Path target = dir.resolve(name);
        if (Files.isRegularFile(target) && Files.size(target) == c.getContentLengthLong()) {
            return;
        }
        Path tmp = Files.createTempFile(dir, name, ".part");
        try (InputStream in = c.getInputStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
