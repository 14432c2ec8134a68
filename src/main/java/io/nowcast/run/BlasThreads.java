package io.nowcast.run;

import io.nowcast.tensor.BlasGemm;
import io.nowcast.tensor.Gemm;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How many threads the native BLAS uses, and how to pin it. OpenBLAS reads
 * {@code OPENBLAS_NUM_THREADS} (then {@code GOTO_NUM_THREADS}, then {@code OMP_NUM_THREADS}) once,
 * when the library is loaded, and netlib's binding exposes no {@code openblas_set_num_threads};
 * a running JVM cannot change its own C environment either. So the only reliable way to get a
 * given thread count is to start the JVM with the variable set: {@link #relaunch} does that for
 * the benchmarks, re-running the same command in a child JVM with the variable set.
 */
public final class BlasThreads {
    public static final String VAR = "OPENBLAS_NUM_THREADS";
    /** Set in the child JVM so that a relaunch happens at most once. */
    private static final String GUARD = "NOWCAST_BENCH_RELAUNCHED";

    private BlasThreads() {
    }

    /**
     * The thread count OpenBLAS will use as far as the environment tells: the first of
     * OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS, OMP_NUM_THREADS that is a positive integer, else the
     * number of processors (OpenBLAS's default).
     */
    public static int fromEnvironment() {
        for (String v : new String[] {VAR, "GOTO_NUM_THREADS", "OMP_NUM_THREADS"}) {
            String s = System.getenv(v);
            if (s != null) {
                try {
                    int n = Integer.parseInt(s.trim());
                    if (n > 0) {
                        return n;
                    }
                } catch (NumberFormatException ignored) {
                    // OpenBLAS ignores it too and goes on to the next variable
                }
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** Threads used by a backend: the OpenBLAS count for native BLAS, else 1 (EJML and netlib's Java code are serial). */
    public static int threadsOf(Gemm g) {
        return g instanceof BlasGemm && ((BlasGemm) g).isNative() ? fromEnvironment() : 1;
    }

    /** True when this JVM's environment already asks OpenBLAS for exactly {@code threads}. */
    public static boolean isPinned(int threads) {
        String s = System.getenv(VAR);
        return s != null && s.trim().equals(Integer.toString(threads));
    }

    /**
     * Re-runs this JVM's command line ({@code java [jvm options] -cp CP MAIN ARGS}, MAIN the class
     * {@code main}, e.g. io.nowcast.cli.Main) with {@code OPENBLAS_NUM_THREADS=threads}, output
     * inherited, and returns its exit code; or
     * returns -1 without doing anything when this JVM is already such a child or when the Java
     * executable cannot be found.
     */
    public static int relaunch(int threads, Class<?> main, List<String> args) throws InterruptedException, java.io.IOException {
        if (System.getenv(GUARD) != null) {
            return -1;
        }
        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        if (!new File(java).canExecute()) {
            return -1;
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        Map<String, String> env = pb.environment();
        env.put(VAR, Integer.toString(threads));
        env.put(GUARD, "1");
        return pb.start().waitFor();
    }
}
