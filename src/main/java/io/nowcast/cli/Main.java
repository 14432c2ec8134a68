package io.nowcast.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code nowcast} command line. */
@Command(name = "nowcast", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Streaming motion prediction and denoising with stateful recurrent models.",
        subcommands = {CommandLine.HelpCommand.class, BenchCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests: no System.exit). */
    public static int run(String... args) {
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

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"nowcast " + (v == null ? "dev" : v)};
        }
    }
}
