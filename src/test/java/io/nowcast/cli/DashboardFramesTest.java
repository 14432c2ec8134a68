package io.nowcast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nowcast.broker.EmbeddedBroker;
import io.nowcast.codec.FrameCodec;
import io.nowcast.stream.ProcessorConfig;
import io.nowcast.web.Dashboard;
import io.nowcast.web.Endpoints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's page and frame panel over HTTP, without a browser: an image folder replayed by
 * {@code nowcast replay} into two frame topics through a real broker comes back from
 * /api/frame.png pixel for pixel, the two topics' frames of the same event time side by side.
 */
class DashboardFramesTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int W = 16;
    private static final int H = 12;
    private static final int FRAMES = 6;

    @TempDir
    Path dir;

    @Test
    void replayedImagesComeBackFromTheFramePanelPixelForPixel() throws Exception {
        // six images: grey gradients shifted by frame, the last one in colour (shown as its luminance)
        Path cam = Files.createDirectories(dir.resolve("cam-a"));
        float[][] expected = new float[FRAMES][];
        for (int f = 0; f < FRAMES; f++) {
            boolean colour = f == FRAMES - 1;
            BufferedImage img = new BufferedImage(W, H, colour ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    int v = (x * 13 + y * 7 + f * 40) % 256;
                    if (colour) {
                        img.setRGB(x, y, (v << 16) | ((255 - v) << 8) | (v / 2));
                    } else {
                        img.getRaster().setSample(x, y, 0, v);
                    }
                }
            }
            ImageIO.write(img, "png", cam.resolve(String.format("frame%02d.png", f)).toFile());
            expected[f] = FrameCodec.luminance(img);
        }
        try (EmbeddedBroker broker = EmbeddedBroker.startTemporary()) {
            broker.createTopic("cam.noisy", 1, Map.of());
            broker.createTopic("cam.clean", 1, Map.of());
            // the configuration names a model file; no processor runs here, so it is never read
            Files.writeString(dir.resolve("unused.safetensors"), "");
            ProcessorConfig config = ProcessorConfig.parse(Map.of("bootstrap.servers", broker.bootstrapServers(),
                    "pipelines", "denoise", "pipeline.denoise.input.topics", "cam.noisy",
                    "pipeline.denoise.output.topic", "cam.cleaned", "pipeline.denoise.model", "unused.safetensors",
                    "dashboard.frame.topics", "cam.noisy,cam.cleaned,cam.clean"), "test", dir);
            PrometheusMeterRegistry registry = Endpoints.prometheusRegistry();
            try (Endpoints web = Endpoints.start("127.0.0.1", 0, registry, () -> true, () -> false,
                    new Dashboard(config, registry).start())) {
                URI base = web.uri();
                HttpResponse<String> page = get(base, "/");
                assertEquals(200, page.statusCode());
                assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
                assertTrue(page.body().contains("<script src=\"/dashboard.js\">"), page.body());
                assertEquals(200, get(base, "/dashboard.js").statusCode());
                assertEquals(200, get(base, "/dashboard.css").statusCode());
                assertEquals(404, get(base, "/nothing").statusCode());
                assertEquals(404, get(base, "/api/nothing").statusCode());
                assertEquals(400, get(base, "/api/frames").statusCode(), "a camera is required");
                assertEquals(400, get(base, "/api/overview?after=x").statusCode());
                assertEquals(405, HTTP.send(HttpRequest.newBuilder(base.resolve("/api/overview"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode());

                JsonNode overview = json(base, "/api/overview");
                assertTrue(overview.get("alive").asBoolean());
                assertFalse(overview.get("ready").asBoolean());
                assertEquals("denoise", overview.get("pipelines").get(0).get("name").asText());
                JsonNode topics = overview.get("frameTopics");
                assertEquals(3, topics.size());
                assertEquals("input of pipeline denoise", topics.get(0).get("role").asText());
                assertEquals("output of pipeline denoise", topics.get(1).get("role").asText());
                assertEquals("", topics.get(2).get("role").asText());

                // watch the camera, wait until the watcher reads the topics, then replay into both
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (json(base, "/api/frames?camera=cam-a").get("reading").size() < 2) {
                    assertTrue(System.nanoTime() < deadline, "the frame topics are read: "
                            + json(base, "/api/frames?camera=cam-a"));
                    Thread.sleep(100);
                }
                CompletableFuture<Integer> noisy = CompletableFuture.supplyAsync(() -> replay(broker, "cam.noisy", cam));
                CompletableFuture<Integer> clean = CompletableFuture.supplyAsync(() -> replay(broker, "cam.clean", cam));
                JsonNode shown = null;
                while (System.nanoTime() < deadline) {
                    shown = json(base, "/api/frames?camera=cam-a").get("frames");
                    if (shown.get(0).has("seq") && shown.get(2).has("seq")) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertEquals(0, noisy.get().intValue());
                assertEquals(0, clean.get().intValue());
                assertTrue(shown.get(0).has("seq") && shown.get(2).has("seq"), "frames of both topics: " + shown);
                assertFalse(shown.get(1).has("seq"), "no frame published on the pipeline's output: none shown");
                assertEquals("no topic cam.cleaned yet", json(base, "/api/frames?camera=cam-a").get("problem").asText());
                shown = json(base, "/api/frames?camera=cam-a").get("frames");
                assertEquals(shown.get(0).get("time").asLong(), shown.get(2).get("time").asLong(),
                        "the frames of one event time side by side: " + shown);
                for (int t : new int[] {0, 2}) {
                    JsonNode f = shown.get(t);
                    assertEquals(W, f.get("width").asInt());
                    assertEquals(H, f.get("height").asInt());
                    int index = (int) ((f.get("time").asLong() - 1000) / 100 % FRAMES);
                    HttpResponse<byte[]> png = HTTP.send(HttpRequest.newBuilder(base.resolve("/api/frame.png?camera=cam-a&topic="
                            + f.get("topic").asText() + "&seq=" + f.get("seq").asLong())).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    assertEquals(200, png.statusCode());
                    assertEquals("image/png", png.headers().firstValue("Content-Type").orElse(""));
                    BufferedImage got = ImageIO.read(new ByteArrayInputStream(png.body()));
                    for (int y = 0; y < H; y++) {
                        for (int x = 0; x < W; x++) {
                            assertEquals(Math.round(expected[index][y * W + x] * 255f), got.getRaster().getSample(x, y, 0),
                                    "frame " + index + " of " + f.get("topic").asText() + " at (" + x + ", " + y + ")");
                        }
                    }
                }
                assertEquals(404, get(base, "/api/frame.png?camera=cam-a&topic=cam.noisy&seq=999999").statusCode());
                JsonNode cameras = json(base, "/api/cameras");
                assertEquals("cam-a", cameras.get("cameras").get(0).asText());
            }
        }
    }

    private static int replay(EmbeddedBroker broker, String topic, Path folder) {
        return Main.run("replay", "--topic", topic, "--bootstrap", broker.bootstrapServers(), "--input", folder.toString(),
                "--format", "images", "--rate", "20", "--loop", "--limit", "40", "--start-ms", "1000", "--step-ms", "100");
    }

    private static HttpResponse<String> get(URI base, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(URI base, String path) throws Exception {
        HttpResponse<String> r = get(base, path);
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }
}
