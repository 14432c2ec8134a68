package io.nowcast.stream;

import io.nowcast.codec.Frame;
import io.nowcast.codec.FrameCodec;
import io.nowcast.model.FrameDenoiser;
import io.nowcast.model.FrameModel;
import io.nowcast.model.FrameModels;
import io.nowcast.model.FrameSpec;
import io.nowcast.nn.Param;
import io.nowcast.stream.internal.FrameRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The frame model of the frame pipeline tests: a recurrent DnCNN-style denoiser (4 layers of 8
 * channels, two input channels: the frame and the camera's previous output) with seeded random
 * weights, in a real model file; and what it gives for one camera alone.
 */
final class FrameTestModels {
    static final String NAME = "cams-test";
    /** A frame whose first pixel is this u8 value makes {@link #poisonable} throw (a model error on chosen frames). */
    static final int POISON = 3;
    private static Path file;

    private FrameTestModels() {
    }

    static void save(Path f) throws Exception {
        FrameSpec spec = FrameSpec.denoiser(4, 8, true);
        spec.name = NAME;
        FrameDenoiser m = FrameDenoiser.random(spec, 11);
        // the last convolution at 4 times its initial scale, so that the previous frame changes the
        // outputs by several grey levels and a lost state shows in the u8 frames
        List<Param> params = m.body().params();
        for (Param p : params.subList(params.size() - 2, params.size())) {
            float[] w = p.w();
            for (int i = 0; i < p.size(); i++) {
                w[i] *= 4f;
            }
        }
        FrameModels.save(m, f);
        file = f;
    }

    /** The model, loaded from its file: each processor and each check gets its own instance (not thread-safe). */
    static FrameModel model() throws Exception {
        return FrameModels.load(file);
    }

    /** The model behind a gate that throws on a frame whose first pixel is {@link #POISON}. */
    static FrameRunner.Served poisonable() throws Exception {
        FrameModel m = model();
        return new FrameRunner.Served(NAME, m.spec().version, 1, true, (in, n, h, w, prev, out) -> {
            for (int k = 0; k < n; k++) {
                if (Math.round(in[k * h * w] * 255f) == POISON) {
                    throw new IllegalStateException("poisoned frame " + k);
                }
            }
            m.apply(in, n, h, w, prev, out);
        });
    }

    /** One camera's frames run alone, one model call per frame, each output encoded as the pipeline encodes it. */
    static List<byte[]> alone(List<Frame> frames) throws Exception {
        FrameModel m = model();
        List<byte[]> out = new ArrayList<>();
        float[] prev = null;
        for (Frame f : frames) {
            float[] y = new float[f.pixels().length];
            m.apply(f.pixels(), 1, f.height(), f.width(), prev == null ? f.pixels() : prev, y);
            out.add(FrameCodec.encodeRawU8(f.width(), f.height(), f.eventTime(), y));
            prev = y;
        }
        return out;
    }
}
