package io.nowcast.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One run of a command line with its output and errors captured. */
record CliRun(int exit, String out, String err) {
    /** Runs {@code nowcast ARGS} as {@link Main#run} does (the line recorded for provenance), without System.exit. */
    static CliRun main(String... args) {
        CommandLine cl = Main.newCommandLine();
        return capture(cl, () -> Main.run(cl, args));
    }

    /** Runs one command object (so that a test can reach into it), with Main's error handling. */
    static CliRun command(Object command, String... args) {
        CommandLine cl = new CommandLine(command);
        cl.setExecutionExceptionHandler(Main.newCommandLine().getExecutionExceptionHandler());
        return capture(cl, () -> cl.execute(args));
    }

    private static CliRun capture(CommandLine cl, java.util.function.IntSupplier run) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = run.getAsInt();
        return new CliRun(exit, out.toString(), err.toString());
    }

    /**
     * A command line on one command whose output goes to {@code out}, for a test that reads what
     * the command has printed while it still runs.
     */
    static CommandLine writingTo(Object command, StringWriter out) {
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out, true));
        return cl;
    }

    /** The output lines that are not empty. */
    java.util.List<String> lines() {
        return out.lines().filter(l -> !l.isBlank()).toList();
    }
}
