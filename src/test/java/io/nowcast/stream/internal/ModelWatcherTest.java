package io.nowcast.stream.internal;

import io.nowcast.stream.Meters;
import io.nowcast.stream.TestModels;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nowcast.model.Forecaster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ModelWatcher alone: which file is the newest version, when it is looked at, and why one is refused. */
class ModelWatcherTest {
    @TempDir
    Path dir;
    private Path v7;
    private MeterRegistry registry;
    private PipelineMeters meters;
    private ModelWatcher watcher;

    @BeforeEach
    void setUp() {
        v7 = TestModels.save(TestModels.lstm2x16(13), dir.resolve("walk-v7.safetensors"));
        registry = new SimpleMeterRegistry();
        meters = new PipelineMeters(registry, "walk", "walk-lstm", "7");
        // loads run at once in the polling thread here; theLoopGoesOnWhileAFileLoads has them wait
        watcher = new ModelWatcher("walk", dir, 100, 2, v7, TestModels.lstm2x16(13).spec(), meters, Runnable::run);
    }

    private double refused() {
        return registry.get(Meters.MODEL_FILES.name()).tags("result", "refused").counter().count();
    }

    private void drop(Forecaster f, String name) throws Exception {
        Path tmp = dir.resolve(name + ".tmp");
        TestModels.save(f, tmp);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void namesAreInVersionOrder() {
        List<String> sorted = new ArrayList<>(List.of("walk-v10.safetensors", "walk-v9.safetensors", "walk-v9a.safetensors",
                "walk-v100.safetensors", "walk-v2.safetensors", "walk-20261126-1.safetensors", "walk-20261126-12.safetensors"));
        sorted.sort(ModelWatcher.VERSION_ORDER);
        assertEquals(List.of("walk-20261126-1.safetensors", "walk-20261126-12.safetensors", "walk-v2.safetensors",
                "walk-v9.safetensors", "walk-v9a.safetensors", "walk-v10.safetensors", "walk-v100.safetensors"), sorted);
        assertTrue(ModelWatcher.compareVersions("v01", "v1") != 0, "equal as numbers, still an order");
        assertEquals(0, ModelWatcher.compareVersions("v1", "v1"));
        assertTrue(ModelWatcher.compareVersions("v99999999999999999999", "v100000000000000000000") < 0, "beyond long");
    }

    @Test
    void theGreatestFileIsLoadedOnceItIsWholeAndAfterTheCheckInterval() throws Exception {
        assertNull(watcher.poll(0), "the configured file is the one in use");
        Path tmp = dir.resolve("walk-v8.safetensors.tmp");
        TestModels.save(TestModels.version(TestModels.lstm2x16(29), "8"), tmp);
        TestModels.save(TestModels.version(TestModels.lstm2x16(30), "99"), dir.resolve(".walk-v99.safetensors"));
        assertNull(watcher.poll(100), "a temporary name and a hidden file are no versions");
        Files.move(tmp, dir.resolve("walk-v8.safetensors"), StandardCopyOption.ATOMIC_MOVE);
        assertNull(watcher.poll(150), "not before model.check.ms has passed");
        Forecaster f = watcher.poll(200);
        assertNotNull(f);
        assertEquals("8", f.spec().version);
        assertEquals(dir.resolve("walk-v8.safetensors").toAbsolutePath().normalize(), watcher.servingFile());
        assertNull(watcher.poll(300), "nothing new");
        // an older name is no newer version
        drop(TestModels.version(TestModels.lstm2x16(31), "6"), "walk-v6.safetensors");
        assertNull(watcher.poll(400));
        // removing the newest goes back to the one before
        Files.delete(dir.resolve("walk-v8.safetensors"));
        Forecaster back = watcher.poll(500);
        assertNotNull(back);
        assertEquals("7", back.spec().version);
        assertEquals(0, refused());
    }

    @Test
    void aDamagedOrUnfitFileIsRefusedWithItsNameAndTheProblemOnceUntilItChanges() throws Exception {
        Path v8 = dir.resolve("walk-v8.safetensors");
        Files.write(v8, new byte[] {1, 2, 3});
        assertNull(watcher.poll(0));
        assertEquals(1, refused());
        String why = watcher.lastRefusal();
        assertTrue(why.contains(v8.toAbsolutePath().normalize().toString()) && why.contains("walk-lstm version 7 goes on"),
                why);
        assertNull(watcher.poll(100));
        assertEquals(1, refused(), "looked at once");
        // rewritten whole: looked at again, and fit this time
        drop(TestModels.version(TestModels.lstm2x16(29), "8"), "walk-v8.safetensors");
        assertNotNull(watcher.poll(200));

        Forecaster renamed = TestModels.version(TestModels.lstm2x16(3), "9");
        renamed.spec().inputFeatures = new ArrayList<>(List.of("lat", "lon"));
        drop(renamed, "walk-v9.safetensors");
        assertNull(watcher.poll(300));
        assertTrue(watcher.lastRefusal().contains("walk-v9.safetensors: the model reads the features [lat, lon], the"
                + " pipeline's samples are [x, y]"), watcher.lastRefusal());

        drop(TestModels.version(TestModels.lstm2x16(3), "8"), "walk-v10.safetensors");
        assertNull(watcher.poll(400));
        assertTrue(watcher.lastRefusal().contains("model walk-lstm version 8 is the one in use"), watcher.lastRefusal());
        assertEquals(3, refused());
        assertEquals(dir.resolve("walk-v8.safetensors").toAbsolutePath().normalize(), watcher.servingFile());
    }

    @Test
    void aFolderThatCannotBeListedLeavesTheModelInUse() throws Exception {
        ModelWatcher w = new ModelWatcher("walk", dir.resolve("gone"), 100, 2, v7, TestModels.lstm2x16(13).spec(), meters);
        assertNull(w.poll(0));
        assertEquals(0, refused(), "no file was refused");
    }

    @Test
    void theLoopGoesOnWhileAFileLoads() throws Exception {
        List<Runnable> loads = new ArrayList<>();
        ModelWatcher w = new ModelWatcher("walk", dir, 100, 2, v7, TestModels.lstm2x16(13).spec(), meters, loads::add);
        assertNull(w.poll(0));
        drop(TestModels.version(TestModels.lstm2x16(29), "8"), "walk-v8.safetensors");
        assertNull(w.poll(100), "handed to the loader");
        assertEquals(1, loads.size());
        drop(TestModels.version(TestModels.lstm2x16(30), "9"), "walk-v9.safetensors");
        assertNull(w.poll(200), "still loading: the serving model goes on");
        assertNull(w.poll(300));
        assertEquals(1, loads.size(), "one file at a time");
        loads.remove(0).run();
        Forecaster f = w.poll(310);
        assertNotNull(f, "taken at the next call once loaded");
        assertEquals("8", f.spec().version);
        assertNull(w.poll(350), "before model.check.ms");
        assertNull(w.poll(400), "v9 handed to the loader");
        loads.remove(0).run();
        assertEquals("9", w.poll(401).spec().version);
    }

    @Test
    void atStartANewerFileIsLoadedAtOnceBeforeTheFirstBatch() throws Exception {
        List<Runnable> loads = new ArrayList<>();
        drop(TestModels.version(TestModels.lstm2x16(29), "8"), "walk-v8.safetensors");
        ModelWatcher w = new ModelWatcher("walk", dir, 100, 2, v7, TestModels.lstm2x16(13).spec(), meters, loads::add);
        Forecaster f = w.poll(0);
        assertNotNull(f, "the first call loads in its own thread");
        assertEquals("8", f.spec().version);
        assertTrue(loads.isEmpty());
    }
}
