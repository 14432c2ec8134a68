package io.nowcast.stream.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import io.nowcast.codec.RejectReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The frame runner without Kafka: frames of several cameras interleaved, in polls of any size,
 * give each camera the outputs of running its frames alone; one model call per frame size and
 * round; size checks, order, gap resets and model errors per frame.
 */
class FrameRunnerTest {
    /** A recurrent filter: out = 0.6 in + 0.4 prev (the exponential moving average of the frames). */
    static void ema(float[] in, int n, int h, int w, float[] prev, float[] out) {
        for (int i = 0; i < n * h * w; i++) {
            out[i] = Math.max(0f, Math.min(1f, 0.6f * in[i] + 0.4f * prev[i]));
        }
    }

    /** What the runner sends out. */
    static final class Collect implements BatchResult.Reader {
        final Map<Integer, byte[]> frames = new HashMap<>();
        final Map<Integer, Long> steps = new HashMap<>();
        final Map<Integer, RejectReason> rejected = new HashMap<>();
        final Map<Integer, String> messages = new HashMap<>();
        int base;

        @Override
        public void output(int index, String stream, long eventTime, long step, byte[] value) {
            frames.put(base + index, value);
            steps.put(base + index, step);
        }

        @Override
        public void rejected(int index, String stream, RejectReason reason, String message) {
            rejected.put(base + index, reason);
            messages.put(base + index, message);
        }
    }

    static Frame frame(String stream, long t, int w, int h, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] px = new float[w * h];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) r.nextDouble();
        }
        return new Frame(stream, t, w, h, px);
    }

    private static int[] calls = new int[1];

    static FrameRunner runner(long gapMs, int frameW, int frameH, int maxBatch) {
        calls[0] = 0;
        return new FrameRunner("cams", "ema", "1", 1, true, (in, n, h, w, prev, out) -> {
            calls[0]++;
            ema(in, n, h, w, prev, out);
        }, FrameRunner.store(100, 0, null), false, gapMs, frameW, frameH, maxBatch, () -> 0L);
    }

    /** Each camera's frames alone through the filter, encoded as the runner encodes them. */
    static List<byte[]> alone(List<Frame> frames) {
        List<byte[]> out = new ArrayList<>();
        float[] prev = null;
        for (Frame f : frames) {
            float[] y = new float[f.pixels().length];
            ema(f.pixels(), 1, f.height(), f.width(), prev == null ? f.pixels() : prev, y);
            out.add(FrameCodec.encodeRawU8(f.width(), f.height(), f.eventTime(), y));
            prev = y;
        }
        return out;
    }

    @Test
    void interleavedCamerasGiveWhatEachGivesAloneWhateverThePollSize() {
        int cams = 5;
        int per = 7;
        List<Frame> all = new ArrayList<>();
        Map<String, List<Frame>> byCam = new HashMap<>();
        SplittableRandom order = new SplittableRandom(3);
        int[] sent = new int[cams];
        while (all.size() < cams * per) {
            int c = order.nextInt(cams);
            if (sent[c] == per) {
                continue;
            }
            // camera 4 sends 8x6 frames, the others 6x6: two sizes in most polls
            Frame f = frame("cam-" + c, 1000L * sent[c], c == 4 ? 8 : 6, 6, 31L * c + sent[c]);
            sent[c]++;
            all.add(f);
            byCam.computeIfAbsent(f.stream(), k -> new ArrayList<>()).add(f);
        }
        for (int poll : new int[] {1, 3, 8, all.size()}) {
            FrameRunner r = runner(0, 0, 0, 64);
            Collect c = new Collect();
            for (int from = 0; from < all.size(); from += poll) {
                c.base = from;
                r.process(all.subList(from, Math.min(all.size(), from + poll))).replay(c);
            }
            assertEquals(all.size(), c.frames.size(), "one output per frame, poll size " + poll);
            Map<String, Integer> k = new HashMap<>();
            for (int i = 0; i < all.size(); i++) {
                Frame f = all.get(i);
                int j = k.merge(f.stream(), 1, Integer::sum) - 1;
                assertArrayEquals(alone(byCam.get(f.stream())).get(j), c.frames.get(i), f.stream() + " frame " + j
                        + ", poll size " + poll);
                assertEquals(j + 1, c.steps.get(i));
            }
            if (poll == all.size()) {
                // one round per frame of the busiest camera, at most two sizes per round
                assertTrue(calls[0] <= 2 * per + 2, calls[0] + " calls");
                assertEquals(calls[0], r.batchedSteps());
                assertEquals(all.size(), r.rowsStepped());
            }
        }
    }

    @Test
    void framesOfEqualSizeShareOneCallInChunksOfTheBatchLimit() {
        List<Frame> poll = new ArrayList<>();
        for (int c = 0; c < 10; c++) {
            poll.add(frame("cam-" + c, 5, 4, 4, c));
        }
        FrameRunner one = runner(0, 0, 0, 64);
        one.process(poll).replay(new Collect());
        assertEquals(1, calls[0], "ten cameras, one size: one call");
        FrameRunner chunked = runner(0, 0, 0, 4);
        Collect c = new Collect();
        chunked.process(poll).replay(c);
        assertEquals(3, calls[0], "frame.batch.max 4: 4 + 4 + 2");
        assertEquals(10, c.frames.size());
    }

    @Test
    void aModelThatIsNotRecurrentTakesAllOfAStreamsFramesInOneCall() {
        int[] n = new int[1];
        FrameRunner r = new FrameRunner("cams", "copy", "1", 1, false, (in, k, h, w, prev, out) -> {
            n[0]++;
            System.arraycopy(in, 0, out, 0, k * h * w);
        }, FrameRunner.store(100, 0, null), false, 0, 0, 0, 64, () -> 0L);
        List<Frame> poll = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            poll.add(frame("cam-a", t, 4, 4, t));
            poll.add(frame("cam-b", t, 4, 4, 10 + t));
        }
        Collect c = new Collect();
        r.process(poll).replay(c);
        assertEquals(1, n[0]);
        assertEquals(12, c.frames.size());
        assertArrayEquals(FrameCodec.encodeRawU8(4, 4, 3, poll.get(6).pixels()), c.frames.get(6));
    }

    @Test
    void wrongSizeOutOfOrderAndModelErrorsAreRejectedAndTheOthersGoOn() {
        FrameRunner r = new FrameRunner("cams", "ema", "1", 1, true, (in, n, h, w, prev, out) -> {
            ema(in, n, h, w, prev, out);
            for (int k = 0; k < n; k++) {
                if (in[k * h * w] == 0.125f) {
                    out[k * h * w] = Float.NaN; // a poison frame: non-finite output
                }
                if (in[k * h * w] == 0.25f) {
                    throw new IllegalStateException("boom"); // a frame the model throws on
                }
            }
        }, FrameRunner.store(100, 0, null), false, 0, 4, 4, 64, () -> 0L);
        Frame a0 = frame("a", 100, 4, 4, 1);
        Frame big = frame("a", 150, 5, 4, 2);
        Frame a1 = frame("a", 200, 4, 4, 3);
        Frame late = frame("a", 50, 4, 4, 4);
        Frame nan = frame("b", 100, 4, 4, 5);
        nan.pixels()[0] = 0.125f;
        Frame b1 = frame("b", 200, 4, 4, 6);
        Frame thrower = frame("c", 100, 4, 4, 7);
        thrower.pixels()[0] = 0.25f;
        Frame c1 = frame("c", 200, 4, 4, 8);
        Collect c = new Collect();
        r.process(List.of(a0, big, nan, thrower, a1, late, b1, c1)).replay(c);
        assertEquals(RejectReason.WRONG_DIMENSION, c.rejected.get(1));
        assertTrue(c.messages.get(1).contains("5x4"), c.messages.get(1));
        assertEquals(RejectReason.MODEL_ERROR, c.rejected.get(2));
        assertEquals(RejectReason.MODEL_ERROR, c.rejected.get(3));
        assertTrue(c.messages.get(3).contains("boom"), c.messages.get(3));
        assertEquals(RejectReason.OUT_OF_ORDER, c.rejected.get(5));
        assertEquals(4, c.rejected.size());
        // a carried its state over the rejected frames; b and c restarted from their own input
        assertArrayEquals(alone(List.of(a0, a1)).get(1), c.frames.get(4));
        assertArrayEquals(alone(List.of(b1)).get(0), c.frames.get(6));
        assertArrayEquals(alone(List.of(c1)).get(0), c.frames.get(7));
        assertEquals(1L, c.steps.get(6));
        assertEquals(2, r.modelErrors());
        assertEquals(1, r.outOfOrder());
    }

    @Test
    void aGapLongerThanGapMsRestartsTheStreamFromItsOwnInput() {
        FrameRunner r = runner(1000, 0, 0, 64);
        Frame f0 = frame("a", 0, 3, 3, 1);
        Frame f1 = frame("a", 900, 3, 3, 2);
        Frame f2 = frame("a", 2000, 3, 3, 3); // 1100 ms after f1
        Collect c = new Collect();
        r.process(List.of(f0, f1, f2)).replay(c);
        assertArrayEquals(alone(List.of(f0, f1)).get(1), c.frames.get(1), "within the gap: state carried");
        assertArrayEquals(alone(List.of(f2)).get(0), c.frames.get(2), "after the gap: its own input as previous");
        assertEquals(1L, c.steps.get(2));
        assertEquals(1, r.gapResets());
    }

    @Test
    void aSuperResolversOutputsAreScaledAndLargeOnesRefused() {
        FrameRunner r = new FrameRunner("sr", "nearest", "1", 2, false, (in, n, h, w, prev, out) -> {
            for (int k = 0; k < n; k++) {
                for (int y = 0; y < 2 * h; y++) {
                    for (int x = 0; x < 2 * w; x++) {
                        out[k * 4 * h * w + y * 2 * w + x] = in[k * h * w + (y / 2) * w + x / 2];
                    }
                }
            }
        }, FrameRunner.store(100, 0, null), false, 0, 0, 0, 64, () -> 0L);
        Collect c = new Collect();
        r.process(List.of(frame("a", 1, 3, 2, 1), new Frame("b", 1, 3000, 1, new float[3000]))).replay(c);
        byte[] v = c.frames.get(0);
        assertEquals(FrameCodec.HEADER_BYTES + 6 * 4, v.length);
        assertEquals(RejectReason.OVERSIZED, c.rejected.get(1));
    }

    @Test
    void aFrameWhoseStateRecordWouldNotFitInAProducerRequestIsRefused() {
        FrameRunner r = runner(0, 0, 0, 64);
        r.limitOutput(4 * 32 * 32 + 2048, true); // room for the state of a 32x32 frame, 4 bytes a pixel
        Collect c = new Collect();
        r.process(List.of(frame("a", 1, 32, 32, 1), frame("b", 1, 33, 32, 2))).replay(c);
        assertEquals(1, c.frames.size());
        assertEquals(RejectReason.OVERSIZED, c.rejected.get(1));
        assertTrue(c.messages.get(1).contains("max.request.size"), c.messages.get(1));
        FrameRunner atLeastOnce = runner(0, 0, 0, 64);
        atLeastOnce.limitOutput(4 * 32 * 32 + 2048, false); // no state records: the output's u8 pixels count
        Collect d = new Collect();
        atLeastOnce.process(List.of(frame("b", 1, 33, 32, 2))).replay(d);
        assertEquals(1, d.frames.size());
    }
}
