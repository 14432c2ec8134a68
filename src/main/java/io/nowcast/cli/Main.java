package io.nowcast.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code nowcast} command line. */
@Command(name = "nowcast", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Streaming motion prediction and denoising with stateful recurrent models.",
        subcommands = {RunCommand.class, TrainCommand.class, SampleCommand.class, PredictCommand.class, BrokerCommand.class,
                BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    private static volatile String commandLine = "";

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests: no System.exit). */
    public static int run(String... args) {
        commandLine = String.join(" ", args);
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("nowcast: " + ex.getMessage());
            if (System.getenv("NOWCAST_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl.execute(args);
    }

    /** The arguments of the current invocation, for provenance. */
    static String commandLine() {
        return commandLine;
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"nowcast " + version()};
        }
    }
}
