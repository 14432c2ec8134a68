package io.nowcast.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code nowcast} command line. */
@Command(name = "nowcast", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Streaming motion prediction and denoising with stateful recurrent models.",
        subcommands = {DemoCommand.class, RunCommand.class, TrainCommand.class, SampleCommand.class, PredictCommand.class,
                EvaluateCommand.class, EvalCommand.class, SynthCommand.class, BrokerCommand.class, ReplayCommand.class,
                TailCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    private static volatile String commandLine = "";

    public static void main(String[] args) {
        java.util.Optional<Integer> relaunched = Launcher.relaunchIfNeeded(args);
        if (relaunched.isPresent()) {
            System.exit(relaunched.get());
        }
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests: no System.exit). */
    public static int run(String... args) {
        return run(newCommandLine(), args);
    }

    /**
     * Runs the command line on {@code cl} (a {@link #newCommandLine}, whose writers a test may have
     * set) and returns the exit code.
     */
    static int run(CommandLine cl, String... args) {
        commandLine = shellWords(args);
        try {
            io.nowcast.tensor.FixedOrderGemm.checkSetting();
        } catch (IllegalArgumentException e) {
            cl.getErr().println("nowcast: " + e.getMessage());
            return 1;
        }
        return cl.execute(args);
    }

    /**
     * The command line with its error handling (an exception prints "nowcast: message" and exits
     * 1), for tests that set its output and error writers before executing it.
     */
    static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("nowcast: " + ex.getMessage());
            if (System.getenv("NOWCAST_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl;
    }

    /** The arguments joined by spaces, each quoted for a POSIX shell where it needs it, so the line can be run again. */
    static String shellWords(String... args) {
        StringBuilder sb = new StringBuilder();
        for (String a : args) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            if (!a.isEmpty() && a.matches("[A-Za-z0-9_./:=,+@%-]+")) {
                sb.append(a);
            } else {
                sb.append('\'').append(a.replace("'", "'\\''")).append('\'');
            }
        }
        return sb.toString();
    }

    /** The arguments of the current invocation, for provenance. */
    static String commandLine() {
        return commandLine;
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"nowcast " + version()};
        }
    }
}
