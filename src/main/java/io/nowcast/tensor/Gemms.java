package io.nowcast.tensor;

import dev.ludovic.netlib.blas.BLAS;

/**
 * Chooses the matrix-product backend of training and of the frame models (the recurrent serving
 * step always runs {@link FixedOrderGemm}, whatever is chosen here). The default is the fastest
 * that works here, as measured by {@code nowcast bench gemm}: native BLAS through netlib, which
 * is the OpenBLAS inside the jar where there is one for this platform ({@link BundledOpenBlas}),
 * else the system's {@code libblas.so.3}; else EJML. {@code -Dnowcast.gemm=ejml|blas} (or the
 * environment variable {@code NOWCAST_GEMM}) forces one; {@code -Dnowcast.blas=system} (or
 * {@code NOWCAST_BLAS=system}) takes the system's BLAS over the bundled one.
 */
public final class Gemms {
    private static volatile BlasGemm blas;
    private static volatile boolean bundled;
    private static final String NATIVE_LIB_PATH = "dev.ludovic.netlib.blas.nativeLibPath";
    /** netlib logs each binding it fails to load; its outcome is reported by {@link BlasGemm#name()} instead. */
    private static final java.util.logging.Logger NETLIB_LOG = java.util.logging.Logger.getLogger("dev.ludovic.netlib");

    private Gemms() {
    }

    /** A new backend instance of the default kind (backends keep scratch space: one per thread). */
    public static Gemm create() {
        String forced = System.getProperty("nowcast.gemm", System.getenv("NOWCAST_GEMM"));
        if (forced != null && !forced.isBlank()) {
            return create(forced.trim());
        }
        BlasGemm b = blas();
        return b.isNative() ? b : new EjmlGemm();
    }

    /** A backend by name: {@code ejml} or {@code blas}. */
    public static Gemm create(String name) {
        switch (name) {
            case "ejml":
                return new EjmlGemm();
            case "blas":
                return blas();
            default:
                throw new IllegalArgumentException("unknown gemm backend '" + name + "': expected ejml or blas");
        }
    }

    /** Which native BLAS netlib loaded: the bundled OpenBLAS, the system's, or none (netlib's Java code). */
    public static String blasLibrary() {
        BlasGemm b = blas();
        if (!b.isNative()) {
            return "none";
        }
        return bundled ? "bundled OpenBLAS " + BundledOpenBlas.VERSION.substring(0, BundledOpenBlas.VERSION.indexOf('-'))
                : "system libblas.so.3";
    }

    /** The netlib binding (native if a BLAS library was found, else netlib's Java code). */
    public static BlasGemm blas() {
        BlasGemm b = blas;
        if (b == null) {
            synchronized (Gemms.class) {
                if (blas == null) {
                    NETLIB_LOG.setLevel(java.util.logging.Level.SEVERE);
                    String which = System.getProperty("nowcast.blas", System.getenv("NOWCAST_BLAS"));
                    boolean system = which != null && which.trim().equals("system");
                    if (which != null && !which.isBlank() && !system && !which.trim().equals("bundled")) {
                        throw new IllegalArgumentException("NOWCAST_BLAS (or -Dnowcast.blas) is '" + which
                                + "': expected bundled or system");
                    }
                    if (!system && System.getProperty(NATIVE_LIB_PATH) == null) {
                        BundledOpenBlas.library().ifPresent(p -> {
                            System.setProperty(NATIVE_LIB_PATH, p.toString());
                            bundled = true;
                        });
                    }
                    blas = new BlasGemm(BLAS.getInstance());
                }
                b = blas;
            }
        }
        return b;
    }
}
