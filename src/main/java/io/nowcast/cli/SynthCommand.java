package io.nowcast.cli;

import io.nowcast.data.synthetic.SyntheticSensors;
import io.nowcast.data.synthetic.SyntheticTracks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "synth", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write seeded synthetic data as CSV, for tests and demos (made up, not measured).",
                "tracks: pedestrian-like 2-D tracks at 2.5 Hz, columns track,t,x,y,dx,dy",
                "  (metres, seconds); --count tracks of --length rows (default 100 x 150).",
                "sensors: hourly channels with daily and weekly cycles, a trend, a shared",
                "  AR(1) factor that reaches s0 last, AR(1) noise and spikes, columns",
                "  t,s0,s1,...; --count channels of --length rows (default 3 x 2016)."})
final class SynthCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "tracks|sensors", description = "what to generate")
    String what;

    @Option(names = "--out", required = true, description = "CSV file to write")
    Path out;

    @Option(names = "--count", description = "tracks: number of tracks; sensors: number of channels")
    Integer count;

    @Option(names = "--length", description = "rows per track (tracks) or samples (sensors)")
    Integer length;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        switch (what) {
            case "tracks": {
                int n = positive(count, 100, "--count");
                int len = positive(length, 150, "--length");
                SyntheticTracks.writeCsv(out, new SyntheticTracks(seed).generate(n, len));
                spec.commandLine().getErr().println("wrote " + out + ": " + n + " synthetic tracks x " + len + " rows (2.5 Hz), seed " + seed);
                return 0;
            }
            case "sensors": {
                int n = positive(count, 3, "--count");
                int len = positive(length, 2016, "--length");
                SyntheticSensors.writeCsv(out, new SyntheticSensors(seed).generate(n, len));
                spec.commandLine().getErr().println("wrote " + out + ": " + n + " synthetic sensor channels x " + len + " hourly rows, seed " + seed);
                return 0;
            }
            default:
                throw new IllegalArgumentException("synth " + what + ": expected tracks or sensors");
        }
    }

    private static int positive(Integer v, int dflt, String option) {
        int n = v == null ? dflt : v;
        if (n < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, got " + n);
        }
        return n;
    }
}
