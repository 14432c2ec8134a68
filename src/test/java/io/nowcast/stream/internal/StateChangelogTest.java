package io.nowcast.stream.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The state record of schemas/state-changelog.md: exact round trip, the documented layout, refusals. */
class StateChangelogTest {
    private static StreamStateStore.Entry entry() {
        StreamStateStore store = new StreamStateStore(2, 3, true, 10, 0, null);
        StreamStateStore.Entry e = store.acquire("ped-17", 0);
        for (int i = 0; i < e.vectors.length; i++) {
            e.vectors[i] = (float) Math.sin(i + 0.5) * 1e-3f * (i + 1);
        }
        e.vectors[5] = Float.MIN_VALUE; // a subnormal survives too
        e.lastEventTime = 1_700_000_000_123L;
        e.steps = 42;
        e.predicted = new float[] {1.25f, -0.5f};
        e.hasPrediction = true;
        return e;
    }

    private static byte[] encode(StreamStateStore.Entry e) {
        return StateChangelog.encode(e, 2, 3, true, "eth".getBytes(StandardCharsets.UTF_8),
                "3".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aStateComesBackBitForBit() {
        StreamStateStore.Entry e = entry();
        StateChangelog.State s = StateChangelog.decode(encode(e));
        assertEquals(2, s.layers());
        assertEquals(3, s.hidden());
        assertTrue(s.cell());
        assertEquals(e.lastEventTime, s.lastEventTime());
        assertEquals(42, s.steps());
        assertEquals("eth", s.model());
        assertEquals("3", s.version());
        for (int i = 0; i < e.vectors.length; i++) {
            assertEquals(Float.floatToRawIntBits(e.vectors[i]), Float.floatToRawIntBits(s.vectors()[i]), "value " + i);
        }
        assertArrayEquals(new float[] {1.25f, -0.5f}, s.predicted());
    }

    @Test
    void theLayoutIsTheDocumentedOne() {
        byte[] v = encode(entry());
        ByteBuffer b = ByteBuffer.wrap(v);
        assertEquals(1, b.get());                       // version
        assertEquals(1, b.get());                       // flags: cells
        assertEquals(2, b.getShort());                  // layers
        assertEquals(3, b.getInt());                    // hidden
        assertEquals(1_700_000_000_123L, b.getLong());  // last event time
        assertEquals(42, b.getLong());                  // steps
        assertEquals(3, b.getShort());
        b.position(b.position() + 3);                   // "eth"
        assertEquals(1, b.getShort());
        b.position(b.position() + 1);                   // "3"
        b.position(b.position() + 4 * 2 * 3 * 2);       // h and c of two layers of 3
        assertEquals(2, b.getShort());
        assertEquals(1.25f, b.getFloat());
        assertEquals(-0.5f, b.getFloat());
        assertEquals(v.length, b.position());
    }

    @Test
    void aStreamWithoutEventTimeOrPrediction() {
        StreamStateStore store = new StreamStateStore(1, 1, false, 10, 0, null);
        StreamStateStore.Entry e = store.acquire("x", 0);
        StateChangelog.State s = StateChangelog.decode(StateChangelog.encode(e, 1, 1, false, new byte[0], new byte[0]));
        assertEquals(StreamStateStore.NO_TIME, s.lastEventTime());
        assertEquals(0, s.predicted().length);
        assertEquals(1, s.vectors().length);
    }

    private static String refusal(byte[] v) {
        return assertThrows(StateChangelog.BadRecordException.class, () -> StateChangelog.decode(v)).getMessage();
    }

    @Test
    void badRecordsAreRefusedSayingWhy() {
        byte[] good = encode(entry());
        byte[] v2 = good.clone();
        v2[0] = 2;
        assertEquals("format version 2, expected 1", refusal(v2));
        assertTrue(refusal(Arrays.copyOf(good, good.length - 3)).startsWith("truncated"));
        assertTrue(refusal(Arrays.copyOf(good, good.length + 1)).contains("1 bytes after the end"));
        byte[] flags = good.clone();
        flags[1] = 8;
        assertTrue(refusal(flags).startsWith("unknown flags"));
        assertTrue(refusal(new byte[0]).startsWith("empty value"));
        byte[] huge = good.clone();
        ByteBuffer.wrap(huge).putInt(4, 1 << 30);
        assertTrue(refusal(huge).contains("do not fit"), refusal(huge));
        assertTrue(refusal("{\"h\":[0.1]}".getBytes(StandardCharsets.UTF_8)).startsWith("format version 123"));
    }

    @Test
    void aFramePipelinesPreviousFrameComesBackBitForBitBehindFlagBit1() {
        StreamStateStore store = FrameRunner.store(10, 0, null);
        StreamStateStore.Entry e = store.acquire("cam-3", 0);
        float[] px = new float[5 * 3 + 2];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) Math.cos(i) * 0.37f;
        }
        e.keepFrame(px, 2, 5, 3);
        e.lastEventTime = 77;
        e.steps = 9;
        byte[] v = StateChangelog.encode(e, 1, 1, false, new byte[0], new byte[0]);
        assertEquals(2, v[1], "flags: a frame follows");
        StateChangelog.State s = StateChangelog.decode(v);
        assertEquals(5, s.frameWidth());
        assertEquals(3, s.frameHeight());
        for (int i = 0; i < 15; i++) {
            assertEquals(Float.floatToRawIntBits(px[2 + i]), Float.floatToRawIntBits(s.frame()[i]), "pixel " + i);
        }
        assertEquals(9, s.steps());
        // the frame's size must match the bytes that follow
        byte[] cut = Arrays.copyOf(v, v.length - 4);
        assertTrue(assertThrows(StateChangelog.BadRecordException.class, () -> StateChangelog.decode(cut)).getMessage()
                .contains("5x3"));
        e.resetState();
        assertEquals(0, StateChangelog.encode(e, 1, 1, false, new byte[0], new byte[0])[1], "no frame after a reset");
    }
    @Test
    void aSeriesDenoisersExtraValuesComeBackBitForBitBehindFlagBit2() {
        StreamStateStore store = new StreamStateStore(2, 3, false, 5, 10, 0, null);
        assertEquals(2 * 3 + 5, store.vectorSize());
        StreamStateStore.Entry e = store.acquire("sensor-4", 0);
        for (int i = 0; i < e.vectors.length; i++) {
            e.vectors[i] = (float) Math.sin(3 * i + 1) * (i + 1);
        }
        e.steps = 12;
        byte[] v = StateChangelog.encode(e, 2, 3, false, "den".getBytes(StandardCharsets.UTF_8),
                "1".getBytes(StandardCharsets.UTF_8));
        assertEquals(4, v[1], "flags: extra values follow");
        StateChangelog.State s = StateChangelog.decode(v);
        assertEquals(5, s.extra());
        assertEquals(e.vectors.length, s.vectors().length);
        for (int i = 0; i < e.vectors.length; i++) {
            assertEquals(Float.floatToRawIntBits(e.vectors[i]), Float.floatToRawIntBits(s.vectors()[i]), "value " + i);
        }
        // the layout: after the layers' 6 floats, u16 5 and the 5 floats
        ByteBuffer b = ByteBuffer.wrap(v, 2 + 2 + 4 + 8 + 8 + 2 + 3 + 2 + 1 + 4 * 6, 2 + 4 * 5);
        assertEquals(5, b.getShort());
        assertEquals(e.vectors[6], b.getFloat());
        // a count the bytes cannot hold is refused
        byte[] cut = Arrays.copyOf(v, v.length - 2 - 4 * 4);
        assertTrue(assertThrows(StateChangelog.BadRecordException.class, () -> StateChangelog.decode(cut)).getMessage()
                .contains("extra values"));
        // a store without extra values writes none and the flag stays clear
        StreamStateStore plain = new StreamStateStore(2, 3, false, 10, 0, null);
        assertEquals(0, StateChangelog.decode(StateChangelog.encode(plain.acquire("x", 0), 2, 3, false, new byte[0],
                new byte[0])).extra());
    }
}
