package io.nowcast.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import io.nowcast.stream.PredictionTap;
import io.nowcast.stream.ProcessorConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The live dashboard: a page (static HTML, JavaScript and CSS from the jar, charts drawn on canvas
 * by the page's own code, nothing fetched from elsewhere) and the small JSON API it polls.
 *
 * <ul>
 * <li>{@code GET /}: the page ({@code /dashboard.js}, {@code /dashboard.css} beside it);</li>
 * <li>{@code GET /api/overview?after=SEQ}: the pipelines and, once a second, their input and
 *     output rates, dead letters per second, mean latency and model step time, lag, active
 *     streams and mean live error ({@link PipelineHistory}); only the points after SEQ;</li>
 * <li>{@code GET /api/streams?pipeline=P&q=TEXT&limit=N[&order=recent]}: streams seen lately, for
 *     the picker (by name, or the most recently seen first);</li>
 * <li>{@code GET /api/stream?pipeline=P&stream=S&after=SEQ}: a watched stream's actual values,
 *     predictions over the horizon and their standard deviations ({@link LiveStreams}); asking
 *     starts the watch;</li>
 * <li>{@code GET /api/cameras?q=TEXT}, {@code GET /api/frames?camera=C} and
 *     {@code GET /api/frame.png?camera=C&topic=T&seq=N}: the frame panel ({@link FrameWatcher}).</li>
 * </ul>
 * Only the picked streams' values ever leave the server: with thousands of streams the page asks
 * for a list of names (bounded) and for the few it shows.
 *
 * <p>Lifecycle: make it with the processor's configuration and registry, give the processor its
 * taps ({@link #taps()}) before it runs, {@link #start()} it (a sampling thread, and the frame
 * reader if frame topics are set); {@link Endpoints} serves it and closes it.
 */
public final class Dashboard implements AutoCloseable {
    static final String RESOURCES = "/io/nowcast/web/dashboard/";
    static final Map<String, String> FILES = Map.of(
            "/", "index.html",
            "/dashboard.js", "dashboard.js",
            "/dashboard.css", "dashboard.css");

    private final ProcessorConfig config;
    private final LiveStreams live;
    private final PipelineHistory history;
    private final FrameWatcher frames;
    private final MeterRegistry registry;
    private final Map<String, String> frameRoles = new HashMap<>();
    private volatile BooleanSupplier alive = () -> false;
    private volatile BooleanSupplier ready = () -> false;
    private ScheduledExecutorService sampler;

    /**
     * @param config   the processor's configuration (its pipelines; the frame topics and the Kafka
     *                 settings the frame reader uses)
     * @param registry the registry the processor's meters are in
     */
    public Dashboard(ProcessorConfig config, MeterRegistry registry) {
        this(config, registry, () -> System.nanoTime() / 1_000_000);
    }

    Dashboard(ProcessorConfig config, MeterRegistry registry, LongSupplier clockMs) {
        this.config = config;
        this.live = new LiveStreams(clockMs);
        List<String> names = new ArrayList<>();
        for (ProcessorConfig.Pipeline p : config.pipelines) {
            names.add(p.name());
            for (String t : p.inputTopics()) {
                frameRoles.put(t, "input of pipeline " + p.name());
            }
            frameRoles.put(p.outputTopic(), "output of pipeline " + p.name());
        }
        this.history = new PipelineHistory(registry, names);
        this.registry = registry;
        this.frames = config.dashboardFrameTopics.isEmpty() ? null
                : new FrameWatcher(config.bootstrapServers, config.kafkaCommon, config.dashboardFrameTopics, clockMs);
    }

    /** The taps to give the processor ({@code processor.tap(dashboard.taps())}) before it runs. */
    public PredictionTap.Factory taps() {
        return live;
    }

    /** Starts sampling the meters once a second, and reading the frame topics if there are any. */
    public Dashboard start() {
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nowcast-dashboard-sampler");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(() -> {
            try {
                history.sample(System.currentTimeMillis());
            } catch (RuntimeException e) {
                // a meter read that fails leaves a gap in the charts, never stops the sampling
            }
        }, 0, 1, TimeUnit.SECONDS);
        if (frames != null) {
            frames.start();
        }
        return this;
    }

    /** Registers the page and the API on the server; the probes' answers for the page's status line. */
    void bind(HttpServer server, BooleanSupplier alive, BooleanSupplier ready) {
        this.alive = alive;
        this.ready = ready;
        server.createContext("/", this::page);
        server.createContext("/api/", this::api);
    }

    private void page(HttpExchange x) throws IOException {
        String file = FILES.get(x.getRequestURI().getPath());
        if (file == null || !get(x)) {
            Endpoints.respond(x, file == null ? 404 : 405, "text/plain; charset=utf-8", file == null ? "not found\n"
                    : "method not allowed\n");
            return;
        }
        byte[] body;
        try (InputStream in = Dashboard.class.getResourceAsStream(RESOURCES + file)) {
            if (in == null) {
                Endpoints.respond(x, 500, "text/plain; charset=utf-8", "the dashboard is missing from this build\n");
                return;
            }
            body = in.readAllBytes();
        }
        String type = file.endsWith(".html") ? "text/html; charset=utf-8" : file.endsWith(".js")
                ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
        Endpoints.respond(x, 200, type, body);
    }

    private static boolean get(HttpExchange x) {
        String m = x.getRequestMethod();
        return m.equals("GET") || m.equals("HEAD");
    }

    private void api(HttpExchange x) throws IOException {
        if (!get(x)) {
            x.getResponseHeaders().set("Allow", "GET, HEAD");
            Endpoints.respond(x, 405, "text/plain; charset=utf-8", "method not allowed\n");
            return;
        }
        Map<String, String> q = query(x.getRequestURI().getRawQuery());
        String path = x.getRequestURI().getPath();
        try {
            switch (path) {
                case "/api/overview":
                    json(x, overview(number(q, "after", 0)));
                    return;
                case "/api/streams": {
                    StringBuilder sb = new StringBuilder("{\"streams\":");
                    Json.strings(sb, live.recent(q.getOrDefault("pipeline", ""), q.getOrDefault("q", ""),
                            (int) Math.max(0, Math.min(500, number(q, "limit", 100))),
                            q.getOrDefault("order", "").equals("recent")));
                    json(x, sb.append('}'));
                    return;
                }
                case "/api/stream": {
                    LiveStreams.Watch w = live.watch(q.getOrDefault("pipeline", ""), required(q, "stream"));
                    if (w == null) {
                        Endpoints.respond(x, 404, "text/plain; charset=utf-8", "no pipeline '" + q.get("pipeline") + "'\n");
                        return;
                    }
                    StringBuilder sb = new StringBuilder(4096);
                    w.json(sb, number(q, "after", 0));
                    json(x, sb);
                    return;
                }
                case "/api/cameras": {
                    StringBuilder sb = new StringBuilder("{\"cameras\":");
                    Json.strings(sb, frames == null ? List.of() : frames.recent(q.getOrDefault("q", ""), 100));
                    json(x, sb.append('}'));
                    return;
                }
                case "/api/frames":
                    json(x, frameList(required(q, "camera")));
                    return;
                case "/api/frame.png": {
                    Frame f = frames == null ? null : frames.frame(required(q, "camera"), required(q, "topic"),
                            number(q, "seq", -1));
                    if (f == null) {
                        Endpoints.respond(x, 404, "text/plain; charset=utf-8", "no such frame (any more)\n");
                        return;
                    }
                    x.getResponseHeaders().set("Cache-Control", "max-age=3600");
                    Endpoints.respond(x, 200, "image/png", FrameCodec.encodePng(f.width(), f.height(), f.pixels()));
                    return;
                }
                default:
                    Endpoints.respond(x, 404, "text/plain; charset=utf-8", "not found\n");
            }
        } catch (IllegalArgumentException e) {
            Endpoints.respond(x, 400, "text/plain; charset=utf-8", e.getMessage() + "\n");
        }
    }

    private StringBuilder overview(long after) {
        StringBuilder sb = new StringBuilder(8192);
        sb.append("{\"alive\":").append(alive.getAsBoolean()).append(",\"ready\":").append(ready.getAsBoolean())
                .append(",\"now\":").append(System.currentTimeMillis()).append(",\"fields\":");
        Json.strings(sb, PipelineHistory.FIELDS).append(",\"pipelines\":[");
        boolean first = true;
        for (ProcessorConfig.Pipeline p : config.pipelines) {
            LiveStreams.Pipeline lp = live.pipeline(p.name());
            sb.append(first ? "" : ",").append("{\"name\":");
            first = false;
            Json.string(sb, p.name()).append(",\"inputs\":");
            Json.strings(sb, p.inputTopics()).append(",\"output\":");
            Json.string(sb, p.outputTopic());
            if (lp != null) {
                sb.append(",\"model\":");
                Json.string(sb, lp.model).append(",\"version\":");
                Json.string(sb, lp.version).append(",\"targets\":");
                Json.strings(sb, lp.targets).append(",\"horizon\":").append(lp.horizon).append(",\"sigma\":")
                        .append(lp.sigma);
            } else {
                // no prediction tap (a frame pipeline): the model in use as the processor's gauge names it
                io.micrometer.core.instrument.Gauge g = registry.find(io.nowcast.stream.Meters.MODEL.name())
                        .tag(io.nowcast.stream.Meters.PIPELINE, p.name()).gauge();
                if (g != null) {
                    sb.append(",\"model\":");
                    Json.string(sb, g.getId().getTag("model")).append(",\"version\":");
                    Json.string(sb, g.getId().getTag("version"));
                }
                sb.append(",\"frames\":true");
            }
            sb.append('}');
        }
        sb.append("],\"frameTopics\":[");
        first = true;
        for (String t : config.dashboardFrameTopics) {
            sb.append(first ? "" : ",").append("{\"topic\":");
            first = false;
            Json.string(sb, t).append(",\"role\":");
            Json.string(sb, frameRoles.getOrDefault(t, ""));
            sb.append('}');
        }
        sb.append("],");
        history.json(sb, after);
        return sb.append('}');
    }

    private StringBuilder frameList(String camera) {
        StringBuilder sb = new StringBuilder(512).append("{\"camera\":");
        Json.string(sb, camera).append(",\"frames\":[");
        if (frames != null) {
            FrameWatcher.Shot[] shots = frames.show(camera);
            for (int t = 0; t < shots.length; t++) {
                sb.append(t == 0 ? "" : ",").append("{\"topic\":");
                Json.string(sb, frames.topics().get(t));
                FrameWatcher.Shot s = shots[t];
                if (s != null) {
                    sb.append(",\"seq\":").append(s.seq()).append(",\"time\":").append(s.frame().eventTime())
                            .append(",\"width\":").append(s.frame().width()).append(",\"height\":").append(s.frame().height());
                }
                sb.append('}');
            }
        }
        sb.append("],\"reading\":");
        Json.strings(sb, frames == null ? List.of() : frames.reading()).append(",\"problem\":");
        Json.string(sb, frames == null ? "no frame topics are configured (dashboard.frame.topics)" : frames.problem());
        return sb.append('}');
    }

    private static void json(HttpExchange x, StringBuilder body) throws IOException {
        x.getResponseHeaders().set("Cache-Control", "no-store");
        Endpoints.respond(x, 200, "application/json", body.toString());
    }

    static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return q;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            q.put(k, v);
        }
        return q;
    }

    private static long number(Map<String, String> q, String key, long dflt) {
        String v = q.get(key);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("parameter " + key + ": expected an integer, found '" + v + "'");
        }
    }

    private static String required(Map<String, String> q, String key) {
        String v = q.get(key);
        if (v == null || v.isEmpty()) {
            throw new IllegalArgumentException("parameter " + key + " is required");
        }
        return v;
    }

    /** The history of the pipelines' figures (tests). */
    PipelineHistory history() {
        return history;
    }

    /** The watched streams (tests). */
    LiveStreams live() {
        return live;
    }

    /** Stops the sampling and the frame reader. */
    @Override
    public void close() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
        if (frames != null) {
            frames.close();
        }
    }
}
