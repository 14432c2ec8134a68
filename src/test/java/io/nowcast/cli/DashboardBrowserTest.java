package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.run.demo.DemoTopics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The dashboard in a real headless Chromium while {@code nowcast demo} runs (embedded broker,
 * synthetic pedestrians, sensors and cameras, the processor with the bundled models): the page's
 * canvases show the data lines in their colours, the stream charts the actual and predicted
 * values and the 2-sigma band of the Gaussian track model, the frame panel the cameras' images;
 * a few seconds later the charts and images have changed with the new data. The screenshot is
 * saved as target/dashboard.png (and where -Dnowcast.dashboard.screenshot=FILE says, taken
 * -Dnowcast.dashboard.screenshot.wait=SECONDS later).
 *
 * <p>Skipped only when no Chromium is found (.ci/run installs Debian's chromium).
 */
class DashboardBrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What the page shows, measured in the page: per canvas the pixels of the colours that only
     * data lines use (the pipelines' colours; actual, predicted, and the translucent band), per
     * frame image its size and the spread of its grey levels, and the page's data counters.
     */
    private static final String REPORT = """
            (() => {
              const d = window.nowcastDashboard;
              const near = (p, i, c, tol) => Math.abs(p[i] - c[0]) < tol && Math.abs(p[i + 1] - c[1]) < tol
                  && Math.abs(p[i + 2] - c[2]) < tol;
              const measure = (canvas, colours) => {
                const p = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                const counts = colours.map(() => 0);
                let band = 0, hash = 0;
                for (let i = 0; i < p.length; i += 4) {
                  hash = (Math.imul(hash, 31) + p[i] + 3 * p[i + 1] + 7 * p[i + 2] + 11 * p[i + 3]) | 0;
                  if (p[i + 3] > 200) colours.forEach((c, k) => { if (near(p, i, c, 40)) counts[k]++; });
                  else if (p[i + 3] > 20 && p[i + 3] < 120 && near(p, i, [224, 123, 0], 40)) band++;
                }
                return { counts, band, hash };
              };
              const spread = (img) => {
                if (!img.complete || img.naturalWidth === 0) return 0;
                const c = document.createElement('canvas');
                c.width = img.naturalWidth; c.height = img.naturalHeight;
                const g = c.getContext('2d');
                g.drawImage(img, 0, 0);
                const p = g.getImageData(0, 0, c.width, c.height).data;
                let lo = 255, hi = 0;
                for (let i = 0; i < p.length; i += 4) { lo = Math.min(lo, p[i]); hi = Math.max(hi, p[i]); }
                return (hi - lo) / 255;
              };
              const pipelines = [[31, 119, 180], [214, 39, 40]];
              return JSON.stringify({
                overviewPoints: d.points.length, overviewLast: d.last, errors: d.errors, lastError: d.lastError,
                pipelines: d.overview ? d.overview.pipelines.length : 0,
                charts: ['chart-throughput', 'chart-latency', 'chart-lag', 'chart-deadletters']
                  .map((id) => measure(document.getElementById(id), pipelines)),
                watches: d.watches.map((w) => ({
                  pipeline: w.pipeline, stream: w.stream, points: w.points.length, last: w.last,
                  sigma: !!(w.meta && w.meta.sigma),
                  canvases: w.canvases.map((c) => measure(c, [[31, 78, 153], [224, 123, 0]]))
                })),
                images: Array.from(document.querySelectorAll('img.frame')).map((i) => ({
                  src: i.getAttribute('src') || '', width: i.naturalWidth, height: i.naturalHeight, spread: spread(i),
                  label: i.closest('figure').querySelector('figcaption').textContent
                }))
              });
            })()""";

    @Test
    void theDashboardDrawsLiveDataAndFramesDuringTheDemo() throws Exception {
        Path chromium = Chromium.find();
        assumeTrue(chromium != null, "no chromium binary (apt-get install chromium; or set NOWCAST_CHROMIUM)");
        // with the bundled camera denoiser the demo runs the cameras pipeline: noisy, cleaned and clean frames
        boolean cameraPipeline = DemoCommand.class.getResource("/io/nowcast/models/" + DemoTopics.CAMERA_MODEL) != null;
        int pipelines = cameraPipeline ? 3 : 2;
        int frameTopics = cameraPipeline ? 3 : 2;
        Path target = Path.of("target");
        DemoCommand demo = new DemoCommand();
        CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> new CommandLine(demo).execute(
                "--seconds", "600", "--http-port", "0", "--pedestrians", "40", "--sensors", "4", "--speedup", "2"));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (demo.dashboardUri == null) {
                assertTrue(!running.isDone(), "the demo ended early: " + (running.isDone() ? running.get() : ""));
                assertTrue(System.nanoTime() < deadline, "the demo serves its dashboard");
                Thread.sleep(100);
            }
            URI page = demo.dashboardUri;
            HttpClient http = HttpClient.newHttpClient();
            while (http.send(HttpRequest.newBuilder(page.resolve("/ready")).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() != 200) {
                assertTrue(System.nanoTime() < deadline, "the demo's processor gets ready");
                Thread.sleep(200);
            }

            try (Chromium browser = Chromium.start(chromium, target.resolve("chromium"), 1400, 2000)) {
                browser.navigate(page);
                JsonNode first = null;
                // until the lines are long enough to count (the overview's first points are a few
                // pixels wide): each check below fails if that never happens
                while (System.nanoTime() < deadline) {
                    first = report(browser);
                    if (drawn(first) && pipelineLines(first)) {
                        break;
                    }
                    Thread.sleep(500);
                }
                assertTrue(drawn(first), "the page draws data lines, stream charts and frames: " + first);
                assertEquals(0, first.get("errors").asInt(), "no failed request: " + first);
                assertEquals(pipelines, first.get("pipelines").asInt());
                // throughput: both pipelines' lines; latency too
                for (int chart : new int[] {0, 1}) {
                    for (int p = 0; p < 2; p++) {
                        assertTrue(first.get("charts").get(chart).get("counts").get(p).asInt() > 40,
                                "chart " + chart + " draws pipeline " + p + ": " + first.get("charts"));
                    }
                }
                boolean band = false;
                for (JsonNode w : first.get("watches")) {
                    for (JsonNode c : w.get("canvases")) {
                        assertTrue(c.get("counts").get(0).asInt() > 30, "actual values drawn: " + w);
                        assertTrue(c.get("counts").get(1).asInt() > 30, "predicted values drawn: " + w);
                        if (w.get("sigma").asBoolean()) {
                            assertTrue(c.get("band").asInt() > 30, "the 2-sigma band of a Gaussian head: " + w);
                            band = true;
                        }
                    }
                }
                assertTrue(band, "the Gaussian pedestrian model's band is drawn");
                JsonNode images = first.get("images");
                assertEquals(frameTopics, images.size(), "one image per frame topic: " + images);
                for (JsonNode img : images) {
                    assertEquals(64, img.get("width").asInt(), "a decoded 64x64 frame: " + img);
                    assertEquals(64, img.get("height").asInt());
                    assertTrue(img.get("spread").asDouble() > 0.5, "a picture, not a blank: " + img);
                }
                if (cameraPipeline) {
                    // labelled: the pipeline's input (noisy), its output (cleaned), the reference (clean)
                    assertTrue(images.get(0).get("label").asText().startsWith(DemoTopics.CAMERA + " input of pipeline cameras"),
                            images.get(0).toString());
                    assertTrue(images.get(1).get("label").asText().startsWith(DemoTopics.CAMERA_CLEANED
                            + " output of pipeline cameras"), images.get(1).toString());
                    assertTrue(images.get(2).get("label").asText().startsWith(DemoTopics.CAMERA_CLEAN + " "), images.get(2).toString());
                    for (JsonNode img : images) {
                        assertTrue(img.get("src").asText().contains("seq="), "an image of the camera's frames: " + img);
                    }
                }

                // a few seconds later: new points, redrawn charts, new frames
                Thread.sleep(4000);
                JsonNode second = report(browser);
                assertTrue(second.get("overviewLast").asLong() > first.get("overviewLast").asLong(), "new overview points");
                assertNotEquals(first.get("charts").get(0).get("hash").asInt(), second.get("charts").get(0).get("hash").asInt(),
                        "the throughput chart was redrawn with other data");
                int followed = 0;
                for (JsonNode w1 : first.get("watches")) {
                    for (JsonNode w2 : second.get("watches")) {
                        if (w1.get("stream").equals(w2.get("stream")) && w1.get("pipeline").equals(w2.get("pipeline"))) {
                            followed++;
                            assertTrue(w2.get("last").asLong() > w1.get("last").asLong(), "new predictions of " + w2);
                            assertNotEquals(w1.get("canvases").get(0).get("hash").asInt(),
                                    w2.get("canvases").get(0).get("hash").asInt(), "the chart of " + w2.get("stream") + " moved");
                        }
                    }
                }
                assertTrue(followed > 0, "a stream shown in both looks: " + first.get("watches") + " / " + second.get("watches"));
                assertNotEquals(first.get("images").get(0).get("src").asText(), second.get("images").get(0).get("src").asText(),
                        "a newer frame is shown");

                // the picker: a stream picked by name gets its own chart, with the server's values
                browser.evaluate("document.getElementById('pick-pipeline').value = 'sensors';"
                        + "document.getElementById('pick-stream').value = 'sensor-1';"
                        + "document.getElementById('watch').click(); true");
                JsonNode picked = null;
                while (System.nanoTime() < deadline && picked == null) {
                    Thread.sleep(300);
                    for (JsonNode w : report(browser).get("watches")) {
                        if (w.get("stream").asText().equals("sensor-1") && w.get("points").asInt() >= 3
                                && w.get("canvases").get(0).get("counts").get(0).asInt() > 30) {
                            picked = w;
                        }
                    }
                }
                assertTrue(picked != null, "sensor-1, picked by name, is charted");
                JsonNode pagePoint = JSON.readTree(browser.evaluate("JSON.stringify(window.nowcastDashboard.watches"
                        + ".find((w) => w.stream === 'sensor-1').points.at(-1))").asText());
                JsonNode served = JSON.readTree(http.send(HttpRequest.newBuilder(page.resolve(
                        "/api/stream?pipeline=sensors&stream=sensor-1&after=" + (pagePoint.get("seq").asLong() - 1))).build(),
                        HttpResponse.BodyHandlers.ofString()).body()).get("points").get(0);
                assertEquals(served, pagePoint, "the page charts what the server sent for sensor-1");

                // for the README's picture: more history in the charts (-Dnowcast.dashboard.screenshot.wait=SECONDS)
                Thread.sleep(1000L * Integer.getInteger("nowcast.dashboard.screenshot.wait", 0));
                byte[] png = browser.screenshot();
                Files.write(target.resolve("dashboard.png"), png);
                String copy = System.getProperty("nowcast.dashboard.screenshot", "");
                if (!copy.isBlank()) {
                    Files.write(Path.of(copy), png);
                }
            }
        } finally {
            demo.requestStop();
            assertEquals(0, running.get(120, TimeUnit.SECONDS).intValue(), "the demo stops cleanly");
        }
    }

    private static JsonNode report(Chromium browser) throws Exception {
        JsonNode v = browser.evaluate("typeof window.nowcastDashboard === 'object' ? " + REPORT + " : '{}'");
        return JSON.readTree(v.asText());
    }

    /** Whether the throughput and latency charts show both pipelines' lines (over 40 pixels of each colour). */
    private static boolean pipelineLines(JsonNode r) {
        for (int chart : new int[] {0, 1}) {
            for (int p = 0; p < 2; p++) {
                if (r.get("charts").get(chart).get("counts").get(p).asInt() <= 40) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether the page shows what the test looks at: overview points, two stream charts with points, the frames. */
    private static boolean drawn(JsonNode r) {
        if (r == null || !r.has("overviewPoints") || r.get("overviewPoints").asInt() < 5 || r.get("watches").size() < 2
                || r.get("images").size() < 2) {
            return false;
        }
        for (JsonNode w : r.get("watches")) {
            if (w.get("points").asInt() < 8) {
                return false;
            }
        }
        for (JsonNode i : r.get("images")) {
            if (i.get("width").asInt() == 0) {
                return false;
            }
        }
        return true;
    }
}
