package io.nowcast.nn;

import io.nowcast.model.FrameDenoiser;
import io.nowcast.model.FrameSpec;
import io.nowcast.model.SuperResolver;
import io.nowcast.tensor.EjmlGemm;
import io.nowcast.tensor.Rng;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole networks of the frame models (as the model files and the trainer build them) against
 * finite differences: the recurrent DnCNN-style denoiser (2 input channels), the super-resolver
 * over the bicubic upscale and the one with learned upsampling (convolutions then a pixel
 * shuffle). The ReLUs are watched for kinks ({@link LayerCheck.KinkWatch}). A planted wrong
 * gradient (one entry 5% off) is caught by the same comparison.
 */
class FrameNetworkGradientTest {

    /** The same layers (same parameters), each ReLU wrapped in a kink watch. */
    private static Sequential watched(Sequential body, List<LayerCheck.KinkWatch> watches) {
        List<Layer> ls = new ArrayList<>();
        for (Layer l : body.layers()) {
            if (l instanceof Activation a) {
                LayerCheck.KinkWatch k = new LayerCheck.KinkWatch(a);
                watches.add(k);
                ls.add(k);
            } else {
                ls.add(l);
            }
        }
        return new Sequential(ls);
    }

    private static void check(Sequential body, Nchw in, String what, long seed) {
        List<LayerCheck.KinkWatch> watches = new ArrayList<>();
        LayerCheck chk = new LayerCheck(watched(body, watches), in, new Rng(seed));
        chk.watches.addAll(watches);
        chk.assertAllMatch(what);

        // a planted wrong gradient: the largest entry of the first convolution's weight gradient 5% off
        chk.analytic();
        Param p = body.params().get(0);
        float[] wrong = LayerCheck.corruptLargest(p.g().clone());
        double e = LayerCheck.errorAwayFromKinks(p.w(), p.size(), chk::loss, wrong, watches, what + " planted");
        assertTrue(e > GradCheck.TOLERANCE, what + ": a wrong gradient passed (relative error " + e + ")");
    }

    @Test
    void recurrentFrameDenoiser() {
        FrameSpec s = FrameSpec.denoiser(3, 3, true);
        Sequential body = FrameDenoiser.random(s, 5, new EjmlGemm()).body();
        check(body, new Nchw(2, 2, 5, 6), "frame denoiser", 11);
    }

    @Test
    void superResolverOverBicubic() {
        FrameSpec s = FrameSpec.superResolver(3, 3, 2, "bicubic");
        Sequential body = SuperResolver.random(s, 6, new EjmlGemm()).body();
        check(body, new Nchw(2, 1, 6, 6), "super-resolver bicubic", 12);
    }

    @Test
    void superResolverWithPixelShuffle() {
        FrameSpec s = FrameSpec.superResolver(3, 3, 2, "pixel-shuffle");
        Sequential body = SuperResolver.random(s, 7, new EjmlGemm()).body();
        check(body, new Nchw(2, 1, 4, 5), "super-resolver pixel-shuffle", 13);
    }
}
