package io.nowcast.run;

import io.nowcast.eval.ForecastScore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a model file records about how it was made: the command line that made it (as a shell
 * would run it again), the Nowcast version, the seed, how the data was made and a remark. The
 * maps it builds are written into the file's metadata as they are, key by key in this order.
 *
 * @param command    {@code nowcast ARGS}
 * @param version    the Nowcast version
 * @param seed       the run's seed
 * @param dataOrigin how the data was made (null: not told)
 * @param note       a remark on the model (null: none)
 */
public record Provenance(String command, String version, long seed, String dataOrigin, String note) {
    /** Command, the data file (name, size, SHA-256 and origin), seed, versions, time, and the note. */
    public Map<String, Object> of(Path data) throws IOException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("command", command);
        Map<String, Object> d = file(data);
        if (dataOrigin != null) {
            d.put("origin", dataOrigin);
        }
        p.put("data", d);
        putRun(p);
        if (note != null) {
            p.put("note", note);
        }
        return p;
    }

    /** Command, seed, versions and time, for a run that describes its data itself after them. */
    public Map<String, Object> withoutData() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("command", command);
        putRun(p);
        return p;
    }

    private void putRun(Map<String, Object> p) {
        p.put("seed", seed);
        p.put("nowcast_version", version);
        p.put("java", System.getProperty("java.version"));
        p.put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }

    /** Name, size and SHA-256 of a file. */
    public static Map<String, Object> file(Path f) throws IOException {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("file", f.getFileName().toString());
        d.put("bytes", Files.size(f));
        d.put("sha256", sha256(f));
        return d;
    }

    /** Name, size and SHA-256 of each file. */
    public static List<Map<String, Object>> files(List<Path> files) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Path f : files) {
            out.add(file(f));
        }
        return out;
    }

    /** A held-out score as provenance: rows scored and, per output, the model's and the last value's errors. */
    public static Map<String, Object> score(ForecastScore s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps_scored", s.scored());
        m.put("rmse", perOutput(s, s.rmse));
        m.put("last_value_rmse", perOutput(s, s.baselineRmse));
        m.put("mae", perOutput(s, s.mae));
        m.put("last_value_mae", perOutput(s, s.baselineMae));
        if (s.withinOneStd != null) {
            m.put("within_one_std", perOutput(s, s.withinOneStd));
        }
        return m;
    }

    private static Map<String, Object> perOutput(ForecastScore s, double[] v) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int o = 0; o < v.length; o++) {
            m.put(s.outputs.get(o), Math.round(v[o] * 1e6) / 1e6);
        }
        return m;
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
