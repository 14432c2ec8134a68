package io.nowcast.cli;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Gives {@code java -jar nowcast.jar ...} the fast serving kernel. The kernel
 * ({@code io.nowcast.tensor.FixedOrderGemm}) runs on the JDK's Vector API, an incubator module that a JVM resolves
 * only when asked on its command line ({@code --add-modules jdk.incubator.vector}), and a jar's
 * manifest cannot ask for it. So when this JVM was started from the jar without it, the same
 * command is run again in a child JVM with the module added (same JVM options, same arguments,
 * standard streams inherited), and its exit code is this one's:
 * <ul>
 *   <li>a stop asked of this JVM (Ctrl-C, SIGTERM) is passed on: the child gets SIGTERM and this
 *       JVM waits for it to finish its clean stop;</li>
 *   <li>if this JVM is killed outright (SIGKILL), the child sees within about half a second
 *       (it looks every 250 ms) that its parent is gone and halts too, so nothing keeps running
 *       unseen.</li>
 * </ul>
 * Nothing is relaunched when the module is already there (a launcher or {@code JDK_JAVA_OPTIONS}
 * added it), when the JVM was started from a class path rather than the jar, or when
 * {@code NOWCAST_RELAUNCH=0}; the kernel then runs its scalar form, which gives the same bits,
 * slower.
 */
final class Launcher {
    static final String PARENT = "NOWCAST_PARENT_PID";
    private static final String MODULE = "jdk.incubator.vector";

    private Launcher() {
    }

    /** The child's exit code when this JVM relaunched itself, else empty (go on in this JVM). */
    static Optional<Integer> relaunchIfNeeded(String[] args) {
        watchParent();
        // the module is looked up here, not through FixedOrderGemm, so that the JVM that only
        // relaunches does not load and try out the kernel first
        if (ModuleLayer.boot().findModule(MODULE).isPresent() || "0".equals(System.getenv("NOWCAST_RELAUNCH"))
                || System.getenv(PARENT) != null) {
            return Optional.empty();
        }
        String cp = System.getProperty("java.class.path", "");
        if (!cp.endsWith(".jar") || cp.contains(File.pathSeparator)
                || java.lang.module.ModuleFinder.ofSystem().find(MODULE).isEmpty()) {
            return Optional.empty();
        }
        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        if (!new File(java).canExecute()) {
            return Optional.empty();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("--add-modules=" + MODULE);
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(cp);
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put(PARENT, Long.toString(ProcessHandle.current().pid()));
        try {
            Process child = pb.start();
            Thread hook = new Thread(() -> {
                if (child.isAlive()) {
                    child.destroy();
                    try {
                        child.waitFor();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }, "nowcast-launcher-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            int rc = child.waitFor();
            return Optional.of(rc);
        } catch (java.io.IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(130);
        }
    }

    /**
     * In a relaunched child (or a child of one: the benchmarks relaunch themselves too): halt as
     * soon as the JVM that started this one is gone, killed outright. That is the parent this JVM
     * has now; a parent killed with -9 stays a zombie, still "alive", until it is reaped, but this
     * JVM is handed to another parent at once, so both are watched.
     */
    private static void watchParent() {
        if (System.getenv(PARENT) == null) {
            return;
        }
        Optional<ProcessHandle> parent = ProcessHandle.current().parent();
        if (parent.isEmpty()) {
            Runtime.getRuntime().halt(137);
        }
        ProcessHandle p = parent.get();
        long parentPid = p.pid();
        Thread t = new Thread(() -> {
            while (true) {
                long now = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
                if (now != parentPid || !p.isAlive()) {
                    Runtime.getRuntime().halt(137);
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "nowcast-parent-watch");
        t.setDaemon(true);
        t.start();
    }
}
