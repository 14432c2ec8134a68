package io.nowcast.stream.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The state store's bounds: LRU capacity eviction, idle expiry, batches that pin their streams. */
class StreamStateStoreTest {
    private final List<String> evicted = new ArrayList<>();

    private StreamStateStore store(int max, long ttl) {
        return new StreamStateStore(2, 3, true, max, ttl, (s, cause, last, steps, source) -> evicted.add(s + ":" + cause.id));
    }

    @Test
    void aNewStreamHasAFreshStateOfEveryLayer() {
        StreamStateStore s = store(10, 0);
        StreamStateStore.Entry e = s.acquire("a", 0);
        assertEquals(2 * 3 * 2, e.vectors.length);
        assertEquals(StreamStateStore.NO_TIME, e.lastEventTime());
        assertEquals(0, e.steps());
        e.vectors[5] = 1f;
        e.steps = 3;
        assertSame(e, s.acquire("a", 1), "the same state on the next sample");
        assertEquals(1f, e.vectors[5]);
    }

    @Test
    void theLeastRecentlyUsedStreamGoesFirst() {
        StreamStateStore s = store(3, 0);
        for (String id : List.of("a", "b", "c")) {
            s.beginBatch();
            s.acquire(id, 0);
        }
        s.beginBatch();
        s.acquire("a", 0);          // b is now the least recently used
        s.beginBatch();
        s.acquire("d", 0);
        assertEquals(List.of("b:capacity"), evicted);
        assertFalse(s.contains("b"));
        assertTrue(s.contains("a") && s.contains("c") && s.contains("d"));
        assertEquals(1, s.evictions(StreamStateStore.Cause.CAPACITY));
        assertEquals(3, s.size());
    }

    @Test
    void anEvictedStreamComesBackFresh() {
        StreamStateStore s = store(1, 0);
        s.beginBatch();
        StreamStateStore.Entry a = s.acquire("a", 0);
        a.vectors[0] = 2f;
        a.steps = 4;
        a.lastEventTime = 100;
        s.beginBatch();
        s.acquire("b", 0);
        s.beginBatch();
        StreamStateStore.Entry again = s.acquire("a", 0);
        assertEquals(0f, again.vectors[0]);
        assertEquals(0, again.steps());
        assertEquals(StreamStateStore.NO_TIME, again.lastEventTime());
        assertEquals(List.of("a:capacity", "b:capacity"), evicted);
    }

    @Test
    void aBatchWithMoreStreamsThanTheBoundKeepsThemUntilTrim() {
        StreamStateStore s = store(2, 0);
        s.beginBatch();
        s.acquire("old", 0);
        s.beginBatch();
        List<StreamStateStore.Entry> batch = new ArrayList<>();
        for (String id : List.of("a", "b", "c", "d")) {
            batch.add(s.acquire(id, 0));
        }
        assertEquals(List.of("old:capacity"), evicted, "only the stream outside the batch is evicted during it");
        assertEquals(4, s.size(), "over the bound while the batch runs");
        for (StreamStateStore.Entry e : batch) {
            assertTrue(s.contains(e.stream()));
        }
        assertEquals(2, s.trim());
        assertEquals(List.of("old:capacity", "a:capacity", "b:capacity"), evicted);
        assertEquals(2, s.size());
    }

    @Test
    void idleStreamsExpireInOrderOfTheirLastSample() {
        StreamStateStore s = store(100, 1000);
        s.beginBatch();
        s.acquire("a", 0);
        s.acquire("b", 500);
        s.acquire("c", 900);
        s.beginBatch();
        s.acquire("a", 1200);
        assertEquals(0, s.expire(1499));
        assertEquals(1, s.expire(1500));
        assertEquals(List.of("b:idle"), evicted);
        assertEquals(1, s.expire(2199));
        assertEquals(List.of("b:idle", "c:idle"), evicted);
        assertEquals(1, s.expire(5000));
        assertEquals(0, s.size());
        assertEquals(3, s.evictions(StreamStateStore.Cause.IDLE));
        assertEquals(0, s.evictions(StreamStateStore.Cause.CAPACITY));
    }

    @Test
    void aZeroTimeToLiveNeverExpires() {
        StreamStateStore s = store(100, 0);
        s.acquire("a", 0);
        assertEquals(0, s.expire(Long.MAX_VALUE / 2));
        assertTrue(s.contains("a"));
    }

    @Test
    void evictedEntriesAreReused() {
        StreamStateStore s = store(1, 0);
        s.beginBatch();
        StreamStateStore.Entry a = s.acquire("a", 0);
        s.beginBatch();
        StreamStateStore.Entry b = s.acquire("b", 0);
        assertSame(a, b, "the evicted entry's arrays are reused for the new stream");
        assertEquals("b", b.stream());
        s.beginBatch();
        StreamStateStore.Entry c = s.acquire("c", 0);
        assertSame(b, c);
        assertNotSame(null, c.vectors);
    }

    @Test
    void removeIfDropsWithoutCountingAnEviction() {
        StreamStateStore s = store(10, 0);
        s.acquire("a", 0).source = 1;
        s.acquire("b", 0).source = 2;
        assertEquals(1, s.removeIf(e -> e.source() == 1));
        assertFalse(s.contains("a"));
        assertTrue(s.contains("b"));
        assertTrue(evicted.isEmpty());
    }
}
