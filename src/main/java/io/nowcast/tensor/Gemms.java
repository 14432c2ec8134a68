package io.nowcast.tensor;

import dev.ludovic.netlib.blas.BLAS;

/**
 * Chooses the matrix-product backend. The default is the fastest that works here, as measured by
 * {@code nowcast bench gemm}: native BLAS through netlib when a {@code libblas.so.3} is installed,
 * else EJML. {@code -Dnowcast.gemm=ejml|blas} (or the environment variable {@code NOWCAST_GEMM})
 * forces one.
 */
public final class Gemms {
    private static volatile BlasGemm blas;
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

    /** The netlib binding (native if a system BLAS was found, else netlib's Java code). */
    public static BlasGemm blas() {
        BlasGemm b = blas;
        if (b == null) {
            synchronized (Gemms.class) {
                if (blas == null) {
                    NETLIB_LOG.setLevel(java.util.logging.Level.SEVERE);
                    blas = new BlasGemm(BLAS.getInstance());
                }
                b = blas;
            }
        }
        return b;
    }
}
