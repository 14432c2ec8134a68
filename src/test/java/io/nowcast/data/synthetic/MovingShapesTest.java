package io.nowcast.data.synthetic;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The moving-shape video: the same frames as the demo cameras drew before it moved here, seeded and in range. */
class MovingShapesTest {

    private static long hash(MovingShapes m) {
        float[] f = new float[m.side * m.side];
        long h = 17;
        for (int t = 0; t < 40; t++) {
            m.frame(t * 7, f);
            for (float v : f) {
                h = h * 31 + Float.floatToIntBits(v);
            }
        }
        return h;
    }

    @Test
    void framesAreTheDemoCamerasFrames() {
        // computed with DemoCommand.DemoCamera(64, 107) as of commit 8863bd9, before the move: frames 0, 7, ..., 273
        assertEquals(3478637404051265689L, hash(new MovingShapes(64, 107)));
        assertNotEquals(hash(new MovingShapes(64, 107)), hash(new MovingShapes(64, 108)));
    }

    @Test
    void framesAreGreyLevelsAndTheShapesMove() {
        MovingShapes m = new MovingShapes(64, 3);
        float[] a = new float[64 * 64];
        float[] b = new float[64 * 64];
        m.frame(0, a);
        m.frame(5, b);
        int changed = 0;
        for (int i = 0; i < a.length; i++) {
            assertTrue(a[i] >= 0f && a[i] <= 1f);
            changed += a[i] != b[i] ? 1 : 0;
        }
        assertTrue(changed > 50 && changed < a.length / 2, "pixels changed: " + changed);
        float[] c = new float[2 * 64 * 64];
        m.frame(5, c, 64 * 64);
        assertEquals(b[100], c[64 * 64 + 100]);
    }
}
