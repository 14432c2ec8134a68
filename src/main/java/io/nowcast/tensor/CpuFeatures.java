package io.nowcast.tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What this machine's CPU is and can do, as far as the kernels and the benchmarks care. */
public final class CpuFeatures {
    private static final boolean FMA = readFma();

    private CpuFeatures() {
    }

    /**
     * Whether the JVM fuses multiply-adds in hardware ({@code -XX:+UseFMA}, on by default where
     * the CPU has FMA3). Without it {@link Math#fma} is exact but computed in software, orders of
     * magnitude slower.
     */
    public static boolean hardwareFma() {
        return FMA;
    }

    private static boolean readFma() {
        try {
            com.sun.management.HotSpotDiagnosticMXBean vm =
                    java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return vm != null && Boolean.parseBoolean(vm.getVMOption("UseFMA").getValue());
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** The CPU's model name from /proc/cpuinfo, else {@code os.arch}. */
    public static String model() {
        for (String line : cpuinfo()) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return System.getProperty("os.arch");
    }

    /** The vector features the kernels can use, e.g. {@code avx2 fma avx512f}, from /proc/cpuinfo. */
    public static String vectorFeatures() {
        List<String> found = new ArrayList<>();
        for (String line : cpuinfo()) {
            if (line.startsWith("flags") || line.startsWith("Features")) {
                List<String> flags = List.of(line.substring(line.indexOf(':') + 1).trim().toLowerCase(Locale.ROOT).split("\\s+"));
                for (String f : new String[] {"avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "asimd", "sve"}) {
                    if (flags.contains(f)) {
                        found.add(f);
                    }
                }
                break;
            }
        }
        return found.isEmpty() ? "unknown" : String.join(" ", found);
    }

    private static List<String> cpuinfo() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
