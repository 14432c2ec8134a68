package io.nowcast.web;

import io.nowcast.stream.internal.BatchResult;
import io.nowcast.stream.internal.PipelineRunner;
import io.nowcast.stream.internal.StreamStateStore;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nowcast.codec.RejectReason;
import io.nowcast.codec.Sample;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.stream.Meters;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's data behind the charts, tapped from a real pipeline runner: a watched stream's
 * ring holds exactly what was predicted for it; nothing is kept for the others; the picker's list,
 * the watch limits; the pipeline figures from the meters.
 */
class LiveStreamsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A GRU 2 -> 8 with a Gaussian head over its two inputs x, y (targets x, y, one step ahead). */
    static Forecaster gaussianModel() {
        ModelSpec spec = new ModelSpec();
        spec.kind = ModelKind.FORECASTER;
        spec.name = "walk-gru";
        spec.version = "3";
        spec.cell = CellType.GRU;
        spec.inputSize = 2;
        spec.hiddenSize = 8;
        spec.head = ModelSpec.Head.GAUSSIAN;
        spec.outputSize = 2;
        spec.inputFeatures = new ArrayList<>(List.of("x", "y"));
        spec.targets = new ArrayList<>(List.of("x", "y"));
        RecurrentNet net = new RecurrentNet(CellType.GRU, 2, 8, 1, 4, Gemms.create()).initUniform(new Rng(5));
        return new Forecaster(spec, net);
    }

    /** Every prediction's JSON, by "stream@time". */
    static final class Written implements BatchResult.Reader {
        final Map<String, JsonNode> byKey = new HashMap<>();

        @Override
        public void output(int index, String stream, long eventTime, long step, byte[] value) {
            try {
                JsonNode n = JSON.readTree(value);
                byKey.put(stream + "@" + n.get("time").asLong(), n);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public void rejected(int index, String stream, RejectReason reason, String message) {
            throw new AssertionError(reason + ": " + message);
        }
    }

    @Test
    void aWatchedStreamKeepsWhatWasPredictedForItAndNothingElseIsKept() throws Exception {
        AtomicLong clock = new AtomicLong(1_000_000);
        LiveStreams live = new LiveStreams(clock::get);
        Forecaster f = gaussianModel();
        PipelineRunner runner = new PipelineRunner("walk", f, new StreamStateStore(1, 8, false, 1000, 0, null), false, 0,
                () -> 0L);
        runner.tap(live.forPipeline("walk", f.spec()));
        LiveStreams.Pipeline p = live.pipeline("walk");
        assertEquals(List.of("x", "y"), p.targets);
        assertTrue(p.sigma);
        assertEquals(1, p.horizon);

        LiveStreams.Watch w = live.watch("walk", "s7");
        assertNotNull(w);
        Written out = new Written();
        Rng rng = new Rng(1);
        for (int step = 0; step < 5; step++) {
            List<Sample> batch = new ArrayList<>();
            for (int s = 0; s < 100; s++) {
                batch.add(new Sample("s" + s, 1000L * step, new float[] {(float) rng.nextGaussian(), s}));
            }
            runner.process(batch).replay(out);
        }
        assertEquals(1, live.watchedCount(), "only the watched stream has a ring");
        assertEquals(5, w.size());
        JsonNode ring = JSON.readTree(json(w, 0));
        assertEquals(5, ring.get("last").asLong());
        assertEquals(5, ring.get("points").size());
        for (JsonNode point : ring.get("points")) {
            JsonNode written = out.byKey.get("s7@" + point.get("t").asLong());
            assertNotNull(written);
            for (int j = 0; j < 2; j++) {
                assertEquals((float) written.get("predictions").get(0).get(j).asDouble(), (float) point.get("p").get(j).asDouble());
                assertEquals((float) written.get("std").get(0).get(j).asDouble(), (float) point.get("s").get(j).asDouble());
            }
            assertEquals(7.0, point.get("a").get(1).asDouble(), "the actual y is the sample's");
        }
        // only the points after a seq are sent
        assertEquals(2, JSON.readTree(json(w, 3)).get("points").size());
        assertEquals(0, JSON.readTree(json(w, 5)).get("points").size());

        // the picker: every stream seen, in natural order, filtered, limited, or the newest first
        List<String> all = live.recent("walk", "", 500, false);
        assertEquals(100, all.size());
        assertEquals(List.of("s0", "s1", "s2"), all.subList(0, 3));
        assertEquals("s99", all.get(99));
        assertEquals(List.of("s1", "s10", "s11"), live.recent("walk", "s1", 3, false));
        assertEquals(11, live.recent("walk", "s1", 500, false).size());
        runner.process(List.of(new Sample("s42", 90_000, new float[] {0f, 42f}))).replay(out);
        assertEquals(List.of("s42"), live.recent("walk", "", 500, true), "the others were seen over 60 s before");
        assertTrue(live.recent("nope", "", 10, false).isEmpty());
        assertNull(live.watch("nope", "s1"));
    }

    @Test
    void watchesAreBoundedAndEndWhenNoOneAsks() {
        AtomicLong clock = new AtomicLong(0);
        LiveStreams live = new LiveStreams(clock::get);
        live.forPipeline("walk", gaussianModel().spec());
        for (int i = 0; i < LiveStreams.MAX_WATCHED; i++) {
            clock.addAndGet(10);
            live.watch("walk", "s" + i);
        }
        assertEquals(LiveStreams.MAX_WATCHED, live.watchedCount());
        clock.addAndGet(10);
        live.watch("walk", "s0"); // asked again: now the most recent
        clock.addAndGet(10);
        live.watch("walk", "new");
        assertEquals(LiveStreams.MAX_WATCHED, live.watchedCount());
        Map<String, LiveStreams.Watch> w = live.pipeline("walk").watched;
        assertTrue(w.containsKey("s0") && w.containsKey("new"));
        assertFalse(w.containsKey("s1"), "the watch asked for least recently ended");
        clock.addAndGet(LiveStreams.WATCH_TTL_MS + 1);
        live.watch("walk", "last");
        assertEquals(1, live.watchedCount(), "the watches no one asked for in 30 s ended");
    }

    @Test
    void aSwappedModelKeepsTheWatchesIfItsOutputsMeanTheSameElseStartsThemAgain() {
        LiveStreams live = new LiveStreams(() -> 0L);
        ModelSpec v1 = gaussianModel().spec();
        io.nowcast.stream.PredictionTap t1 = live.forPipeline("walk", v1);
        float[] out = {1f, 2f, 0.1f, 0.2f};
        t1.prediction("a", 5, new float[] {0f, 0f}, out, 0);
        LiveStreams.Watch w = live.watch("walk", "a");
        t1.prediction("a", 6, new float[] {0f, 0f}, out, 0);
        assertEquals(1, w.size());

        ModelSpec v2 = gaussianModel().spec();
        v2.version = "4";
        io.nowcast.stream.PredictionTap t2 = live.forPipeline("walk", v2);
        assertTrue(t1 == t2, "same targets, horizon and deviations: the same tap");
        assertEquals("4", live.pipeline("walk").version);
        assertTrue(live.pipeline("walk").watched.containsKey("a"));

        ModelSpec linear = gaussianModel().spec();
        linear.head = ModelSpec.Head.LINEAR;
        io.nowcast.stream.PredictionTap t3 = live.forPipeline("walk", linear);
        assertFalse(t3 == t1, "no deviations any more: a new tap");
        assertEquals(0, live.watchedCount(), "the watches start again");
        assertEquals(List.of("a"), live.recent("walk", "", 10, false), "the names seen are kept");
        LiveStreams.Watch again = live.watch("walk", "a");
        t3.prediction("a", 7, new float[] {0f, 0f}, new float[] {1f, 2f}, 0);
        assertEquals(1, again.size());
    }

    @Test
    void naturalOrder() {
        List<String> v = new ArrayList<>(List.of("ped-10", "ped-9", "ped-100", "cam", "ped-09", "ped-1"));
        v.sort(LiveStreams::natural);
        assertEquals(List.of("cam", "ped-1", "ped-09", "ped-9", "ped-10", "ped-100"), v, "equal numbers: plain order");
    }

    @Test
    void pipelineFiguresAreRatesAndMeansOverEachInterval() throws Exception {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        Counter in = Counter.builder(Meters.RECORDS_IN.name()).tag(Meters.PIPELINE, "walk").register(r);
        Counter out = Counter.builder(Meters.PREDICTIONS.name()).tag(Meters.PIPELINE, "walk").register(r);
        Counter dl = Counter.builder(Meters.DEAD_LETTERS.name()).tags(Meters.PIPELINE, "walk", "reason", "undecodable")
                .register(r);
        Counter dl2 = Counter.builder(Meters.DEAD_LETTERS.name()).tags(Meters.PIPELINE, "walk", "reason", "oversized")
                .register(r);
        Timer lat = Timer.builder(Meters.LATENCY.name()).tag(Meters.PIPELINE, "walk").register(r);
        PipelineHistory h = new PipelineHistory(r, List.of("walk"));
        in.increment(10);
        lat.record(1000, TimeUnit.MILLISECONDS);
        h.sample(10_000);
        assertEquals(0, h.size(), "the first sample is the baseline");
        in.increment(100);
        out.increment(50);
        dl.increment(4);
        dl2.increment(2);
        lat.record(10, TimeUnit.MILLISECONDS);
        lat.record(30, TimeUnit.MILLISECONDS);
        h.sample(12_000);
        assertEquals(1, h.size());
        assertEquals(50.0, h.latest(0, 0), 1e-9, "records in per second");
        assertEquals(25.0, h.latest(0, 1), 1e-9, "predictions per second");
        assertEquals(3.0, h.latest(0, 2), 1e-9, "dead letters per second, every reason");
        assertEquals(20.0, h.latest(0, 3), 1e-9, "mean latency of the interval, ms");
        assertTrue(Double.isNaN(h.latest(0, 4)), "no model step meter: no figure");
        StringBuilder sb = new StringBuilder("{");
        h.json(sb, 0);
        JsonNode n = JSON.readTree(sb.append('}').toString());
        assertEquals(1, n.get("last").asLong());
        assertEquals(50.0, n.get("points").get(0).get("v").get(0).get(0).asDouble(), 1e-9);
        assertTrue(n.get("points").get(0).get("v").get(0).get(4).isNull());
    }

    private static String json(LiveStreams.Watch w, long after) {
        StringBuilder sb = new StringBuilder();
        w.json(sb, after);
        return sb.toString();
    }
}
