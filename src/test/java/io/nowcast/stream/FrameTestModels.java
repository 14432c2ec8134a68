package io.nowcast.stream;

import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The frame model of the frame pipeline tests, and what it gives for one camera alone. */
final class FrameTestModels {
    static final String NAME = "ema";
    /** A frame whose first pixel is this u8 value makes the model throw (a model error on chosen frames). */
    static final int POISON = 3;

    private FrameTestModels() {
    }

    /** A recurrent filter: out = clip(0.6 in + 0.4 prev); throws on a frame whose first pixel is {@link #POISON}. */
    static void apply(float[] in, int n, int h, int w, float[] prev, float[] out) {
        for (int k = 0; k < n; k++) {
            if (Math.round(in[k * h * w] * 255f) == POISON) {
                throw new IllegalStateException("poisoned frame " + k);
            }
        }
        for (int i = 0; i < n * h * w; i++) {
            out[i] = Math.max(0f, Math.min(1f, 0.6f * in[i] + 0.4f * prev[i]));
        }
    }

    static FrameRunner.Served served() {
        return new FrameRunner.Served(NAME, "1", 1, true, FrameTestModels::apply);
    }

    static void save(Path file) throws IOException {
        Files.write(file, new byte[0]);
    }

    /** One camera's frames run alone, in order, each output encoded as the pipeline encodes it. */
    static List<byte[]> alone(List<Frame> frames) {
        List<byte[]> out = new ArrayList<>();
        float[] prev = null;
        for (Frame f : frames) {
            float[] y = new float[f.pixels().length];
            apply(f.pixels(), 1, f.height(), f.width(), prev == null ? f.pixels() : prev, y);
            out.add(FrameCodec.encodeRawU8(f.width(), f.height(), f.eventTime(), y));
            prev = y;
        }
        return out;
    }
}
