package io.nowcast.stream.internal;

import io.nowcast.stream.TestModels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nowcast.codec.RejectReason;
import io.nowcast.codec.Sample;
import io.nowcast.model.Forecaster;
import io.nowcast.nn.RecurrentState;
import io.nowcast.tensor.Rng;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The batching loop without Kafka: batched results equal each stream stepped alone; event-time rules; model errors. */
public class PipelineRunnerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a runner produced, per sample index. */
    public static final class Collected implements BatchResult.Reader {
        final Map<Integer, JsonNode> predictions = new HashMap<>();
        final Map<Integer, RejectReason> rejected = new HashMap<>();
        final Map<Integer, String> messages = new HashMap<>();
        int offset;

        @Override
        public void output(int index, String stream, long eventTime, long step, byte[] value) {
            try {
                JsonNode n = JSON.readTree(value);
                assertEquals(stream, n.get("stream").asText());
                if (predictions.put(offset + index, n) != null) {
                    throw new AssertionError("two predictions for sample " + (offset + index));
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public void rejected(int index, String stream, RejectReason reason, String message) {
            rejected.put(offset + index, reason);
            messages.put(offset + index, message);
        }
    }

    private static PipelineRunner runner(Forecaster f, int maxStreams, boolean dropLate, long gapMs) {
        StreamStateStore store = new StreamStateStore(f.net().numLayers(), f.net().hiddenSize, f.net().cell.hasCell(),
                maxStreams, 0, null);
        return new PipelineRunner("p", f, store, dropLate, gapMs, () -> 0L);
    }

    /** Runs the samples through the runner in batches of the given size. */
    private static Collected run(PipelineRunner r, List<Sample> all, int batch) {
        Collected c = new Collected();
        for (int from = 0; from < all.size(); from += batch) {
            c.offset = from;
            r.process(all.subList(from, Math.min(all.size(), from + batch))).replay(c);
        }
        return c;
    }

    /** Each stream alone, N = 1, fresh state: what {@code nowcast predict} does. */
    public static float[][] alone(Forecaster f, List<float[]> xs) {
        RecurrentState s = f.net().newState(1);
        float[] out = new float[f.outputWidth()];
        float[] scratch = new float[64];
        float[][] y = new float[xs.size()][];
        for (int i = 0; i < xs.size(); i++) {
            f.step(xs.get(i), s, out, scratch);
            y[i] = out.clone();
        }
        return y;
    }

    private static float[] prediction(JsonNode n) {
        JsonNode p = n.get("predictions").get(0);
        float[] v = new float[p.size()];
        for (int j = 0; j < v.length; j++) {
            v[j] = Float.parseFloat(p.get(j).asText());
        }
        return v;
    }

    @Test
    void batchedStepsEqualEachStreamSteppedAlone() {
        Forecaster f = TestModels.lstm2x16(11);
        Rng rng = new Rng(3);
        int streams = 300;
        List<List<float[]>> walks = new ArrayList<>();
        List<Sample> all = new ArrayList<>();
        List<int[]> who = new ArrayList<>(); // per sample: stream, position
        int[] pos = new int[streams];
        for (int s = 0; s < streams; s++) {
            List<float[]> w = new ArrayList<>();
            float x = 0;
            float y = 0;
            for (int t = 0, n = 5 + rng.nextInt(26); t < n; t++) {
                x += (float) rng.nextGaussian();
                y += (float) rng.nextGaussian();
                w.add(new float[] {x, y});
            }
            walks.add(w);
        }
        int left = walks.stream().mapToInt(List::size).sum();
        while (left > 0) {
            int s = rng.nextInt(streams);
            if (pos[s] < walks.get(s).size()) {
                all.add(new Sample("s" + s, 1000L * pos[s], walks.get(s).get(pos[s])));
                who.add(new int[] {s, pos[s]});
                pos[s]++;
                left--;
            }
        }
        double worst = 0;
        for (int batch : new int[] {1, 37, 5000}) {
            Collected c = run(runner(f, 100_000, false, 0), all, batch);
            assertEquals(all.size(), c.predictions.size());
            assertTrue(c.rejected.isEmpty());
            Map<Integer, float[][]> expected = new HashMap<>();
            for (int i = 0; i < all.size(); i++) {
                int[] sp = who.get(i);
                float[][] y = expected.computeIfAbsent(sp[0], s -> alone(f, walks.get(s)));
                JsonNode n = c.predictions.get(i);
                assertEquals(sp[1] + 1, n.get("step").asLong());
                assertEquals(1000L * sp[1], n.get("time").asLong());
                float[] got = prediction(n);
                for (int j = 0; j < got.length; j++) {
                    worst = Math.max(worst, Math.abs(got[j] - y[sp[1]][j]));
                }
            }
        }
        System.out.println("batched vs alone: largest difference " + worst);
        assertTrue(worst <= 1e-6, "largest difference " + worst);
    }

    @Test
    void anOutOfOrderSampleIsDeadLetteredOrDropped() {
        Forecaster f = TestModels.lstm2x16(1);
        List<Sample> in = List.of(
                new Sample("a", 100, new float[] {1, 1}),
                new Sample("a", 300, new float[] {1, 2}),
                new Sample("a", 200, new float[] {1, 3}),   // older than 300
                new Sample("a", 300, new float[] {1, 4}));  // same time as the last: in order
        Collected dl = run(runner(f, 10, false, 0), in, 10);
        assertEquals(Map.of(2, RejectReason.OUT_OF_ORDER), dl.rejected);
        assertEquals(List.of(0, 1, 3), dl.predictions.keySet().stream().sorted().toList());
        assertEquals(3, dl.predictions.get(3).get("step").asLong());
        PipelineRunner dropping = runner(f, 10, true, 0);
        Collected dropped = run(dropping, in, 1);
        assertTrue(dropped.rejected.isEmpty());
        assertEquals(3, dropped.predictions.size());
        assertEquals(1, dropping.lateDropped());
    }

    @Test
    void aGapRestartsTheStreamFromAFreshState() {
        Forecaster f = TestModels.lstm2x16(2);
        PipelineRunner r = runner(f, 10, false, 5000);
        List<Sample> in = List.of(
                new Sample("a", 0, new float[] {1, 1}),
                new Sample("a", 5000, new float[] {2, 2}),   // exactly the gap: carried
                new Sample("a", 10001, new float[] {3, 3})); // more than the gap: fresh
        Collected c = run(r, in, 10);
        assertEquals(2, c.predictions.get(1).get("step").asLong());
        assertEquals(1, c.predictions.get(2).get("step").asLong());
        assertArrayEquals(alone(f, List.of(new float[] {3, 3}))[0], prediction(c.predictions.get(2)));
        assertEquals(1, r.gapResets());
    }

    @Test
    void aRowThatThrowsIsAModelErrorAndTheOtherRowsAreUnaffected() {
        Forecaster f = TestModels.lstm2x16(4);
        // the model throws whenever a row holds the value 999
        PipelineRunner.Step failing = (input, state, out, scratch) -> {
            for (int i = 0; i < state.batch * 2; i++) {
                if (input[i] == 999f) {
                    throw new IllegalStateException("cannot take 999");
                }
            }
            f.step(input, state, out, scratch);
        };
        StreamStateStore store = new StreamStateStore(1, 16, true, 10, 0, null);
        PipelineRunner r = new PipelineRunner("p", f, failing, store, false, 0, () -> 0L);
        List<Sample> in = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            for (String s : List.of("a", "b", "c")) {
                float v = s.equals("b") && t == 1 ? 999f : t + s.charAt(0);
                in.add(new Sample(s, t, new float[] {v, -v}));
            }
        }
        Collected c = run(r, in, 100);
        assertEquals(Map.of(4, RejectReason.MODEL_ERROR), c.rejected);
        assertTrue(c.messages.get(4).contains("cannot take 999"), c.messages.get(4));
        assertEquals(1, r.modelErrors());
        // a and c as if nothing had happened; b restarts fresh after the failure
        for (String s : List.of("a", "c")) {
            List<float[]> xs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                float v = t + s.charAt(0);
                xs.add(new float[] {v, -v});
            }
            float[][] y = alone(f, xs);
            int col = s.equals("a") ? 0 : 2;
            for (int t = 0; t < 4; t++) {
                assertArrayEquals(y[t], prediction(c.predictions.get(3 * t + col)), s + " at " + t);
            }
        }
        float[][] b = alone(f, List.of(new float[] {2 + 'b', -(2 + 'b')}, new float[] {3 + 'b', -(3 + 'b')}));
        assertEquals(1, c.predictions.get(7).get("step").asLong(), "b restarts at step 1");
        assertArrayEquals(b[0], prediction(c.predictions.get(7)));
        assertArrayEquals(b[1], prediction(c.predictions.get(10)));
    }

    @Test
    void aNonFiniteOutputIsAModelError() {
        Forecaster f = TestModels.overflowsOnHugeInput();
        PipelineRunner r = runner(f, 10, false, 0);
        List<Sample> in = List.of(
                new Sample("a", 1, new float[] {1, 2}),
                new Sample("b", 1, new float[] {1e10f, 1e10f}),
                new Sample("a", 2, new float[] {3, 1}),
                new Sample("b", 2, new float[] {1, 1}));
        Collected c = run(r, in, 10);
        assertEquals(Map.of(1, RejectReason.MODEL_ERROR), c.rejected);
        assertTrue(c.messages.get(1).contains("NaN"), c.messages.get(1));
        assertEquals(3, c.predictions.size());
        assertEquals(1, c.predictions.get(3).get("step").asLong(), "b restarts fresh");
        assertEquals(2, c.predictions.get(2).get("step").asLong());
    }

    @Test
    void aBatchWithMoreStreamsThanTheStoreHoldsIsProcessedWhole() {
        Forecaster f = TestModels.lstm2x16(5);
        List<String> evicted = new ArrayList<>();
        StreamStateStore store = new StreamStateStore(1, 16, true, 3, 0, (s, cause, t, n, src) -> evicted.add(s));
        PipelineRunner r = new PipelineRunner("p", f, store, false, 0, () -> 0L);
        List<Sample> in = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            for (int s = 0; s < 5; s++) {
                in.add(new Sample("s" + s, t, new float[] {s, t}));
            }
        }
        Collected c = run(r, in, 100);
        assertEquals(10, c.predictions.size());
        for (int s = 0; s < 5; s++) {
            assertEquals(2, c.predictions.get(5 + s).get("step").asLong(), "s" + s + " kept its state through the batch");
        }
        assertEquals(List.of("s0", "s1"), evicted, "trimmed to the bound after the batch, oldest first");
        assertEquals(3, store.size());
    }

    @Test
    void aPassThroughEchoesEachSampleInStreamOrderWithTheSameRules() {
        PipelineRunner r = PipelineRunner.passThrough("p", 3, PipelineRunner.passThroughStore(10, 0, null), false, 0,
                () -> 0L);
        List<Sample> in = List.of(
                new Sample("a", 100, new float[] {1, 2, 3}),
                new Sample("b", 100, new float[] {-1.5f, 0, 1e-7f}),
                new Sample("a", 200, new float[] {4, 5, 6}),
                new Sample("a", 150, new float[] {7, 8, 9}));   // older than 200
        Collected c = run(r, in, 10);
        assertEquals(Map.of(3, RejectReason.OUT_OF_ORDER), c.rejected);
        assertEquals(3, c.predictions.size());
        for (int i = 0; i < 3; i++) {
            JsonNode n = c.predictions.get(i);
            assertArrayEquals(in.get(i).values(), prediction(n));
            assertEquals(in.get(i).eventTime(), n.get("time").asLong());
            assertEquals("pass-through", n.get("model").asText());
        }
        assertEquals(2, c.predictions.get(2).get("step").asLong());
        assertEquals(2, r.store().size());
        assertEquals(2, r.batchedSteps(), "a's two samples take two rounds");
    }

    @Test
    void aModelSwapKeepsStatesThatFitAndResetsThoseThatDoNotKeepingTheStreamsOrder() {
        Forecaster old = TestModels.lstm2x16(1);
        PipelineRunner r = runner(old, 10, false, 0);
        List<Sample> first = List.of(new Sample("a", 100, new float[] {1, 1}), new Sample("b", 100, new float[] {2, 1}),
                new Sample("a", 200, new float[] {1, 2}));
        run(r, first, 10);
        // same shape: every stream goes on from its state, its steps counted on
        Forecaster same = TestModels.version(TestModels.lstm2x16(2), "8");
        PipelineRunner.Swap kept = r.withModel(same);
        assertTrue(kept.statesKept());
        assertEquals(0, kept.streamsReset());
        assertTrue(kept.runner().store() == r.store(), "the same store");
        assertEquals(3, kept.runner().predictions(), "the counts go on");
        Collected k = run(kept.runner(), List.of(new Sample("a", 300, new float[] {1, 3})), 10);
        assertEquals(3, k.predictions.get(0).get("step").asLong());
        assertEquals("8", k.predictions.get(0).get("model_version").asText());
        RecurrentState st = old.net().newState(1);
        float[] o = new float[2];
        float[] scratch = new float[64];
        old.step(new float[] {1, 1}, st, o, scratch);
        old.step(new float[] {1, 2}, st, o, scratch);
        same.step(new float[] {1, 3}, st, o, scratch);
        for (int j = 0; j < 2; j++) {
            assertEquals(o[j], Float.parseFloat(k.predictions.get(0).get("predictions").get(0).get(j).asText()), 1e-6);
        }
        // another shape: fresh states of the new shape, the streams and their last event times kept
        Forecaster gru = TestModels.gru2x8(3);
        PipelineRunner.Swap reset = kept.runner().withModel(gru);
        assertTrue(!reset.statesKept());
        assertEquals(2, reset.streamsReset());
        StreamStateStore store = reset.runner().store();
        assertEquals(2, store.size());
        assertEquals(8, store.hiddenSize());
        assertTrue(store.contains("a") && store.contains("b"));
        Collected after = run(reset.runner(), List.of(new Sample("a", 250, new float[] {9, 9}),
                new Sample("b", 400, new float[] {2, 2})), 10);
        assertEquals(Map.of(0, RejectReason.OUT_OF_ORDER), after.rejected, "a's last event time (300) is kept");
        assertEquals(1, after.predictions.get(1).get("step").asLong(), "b starts again");
        assertArrayEquals(alone(gru, List.<float[]>of(new float[] {2, 2}))[0],
                new float[] {Float.parseFloat(after.predictions.get(1).get("predictions").get(0).get(0).asText()),
                        Float.parseFloat(after.predictions.get(1).get("predictions").get(0).get(1).asText())}, 1e-6f);
        assertEquals(5, reset.runner().predictions());
    }
}
