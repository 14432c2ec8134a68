package io.nowcast.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a model file records about how it was made. */
final class Provenance {
    private Provenance() {
    }

    static Map<String, Object> of(Path data, long seed) throws IOException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("command", "nowcast " + Main.commandLine());
        if (data != null) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("file", data.getFileName().toString());
            d.put("bytes", Files.size(data));
            d.put("sha256", sha256(data));
            p.put("data", d);
        }
        p.put("seed", seed);
        p.put("nowcast_version", Main.version());
        p.put("java", System.getProperty("java.version"));
        p.put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        return p;
    }

    /** Name, size and SHA-256 of each file. */
    static java.util.List<Map<String, Object>> files(java.util.List<Path> files) throws IOException {
        java.util.List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (Path f : files) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("file", f.getFileName().toString());
            d.put("bytes", Files.size(f));
            d.put("sha256", sha256(f));
            out.add(d);
        }
        return out;
    }

    /** A held-out score as provenance: rows scored and, per output, the model's and the last value's errors. */
    static Map<String, Object> score(io.nowcast.eval.ForecastScore s) {
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

    private static Map<String, Object> perOutput(io.nowcast.eval.ForecastScore s, double[] v) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int o = 0; o < v.length; o++) {
            m.put(s.outputs.get(o), Math.round(v[o] * 1e6) / 1e6);
        }
        return m;
    }

    static String sha256(Path file) throws IOException {
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
