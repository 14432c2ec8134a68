package io.nowcast.train;

import io.nowcast.data.GreyImage;
import io.nowcast.data.synthetic.MovingShapes;
import io.nowcast.model.FrameDenoiser;
import io.nowcast.model.FrameSpec;
import io.nowcast.model.SuperResolver;
import io.nowcast.nn.Param;
import io.nowcast.nn.Sequential;
import io.nowcast.tensor.Gemms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Data-parallel frame training: splitting the batch among workers, each with its own replica of
 * the network, takes the same steps as one worker (the gradient sums differ only in rounding), for
 * still-image patches, a super-resolver and recurrent video; and a replica whose gradient were
 * dropped would show (the weights would move differently).
 */
class FrameTrainerWorkersTest {

    private static List<GreyImage> images() {
        List<GreyImage> l = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            float[] f = new float[48 * 48];
            new MovingShapes(48, 100 + i).frame(3 * i, f);
            l.add(new GreyImage(48, 48, f));
        }
        return l;
    }

    private static FrameTrainer.Config config(int workers, Supplier<Sequential> replica) {
        FrameTrainer.Config c = new FrameTrainer.Config();
        c.patch = 16;
        c.batch = 5;
        c.maxIterations = 6;
        c.evalEvery = 0;
        c.seed = 9;
        c.workers = workers;
        c.replica = replica;
        c.lr = 3e-3f;
        return c;
    }

    private static float[] weights(Sequential s) {
        int n = s.params().stream().mapToInt(Param::size).sum();
        float[] w = new float[n];
        int o = 0;
        for (Param p : s.params()) {
            System.arraycopy(p.w(), 0, w, o, p.size());
            o += p.size();
        }
        return w;
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static float[] trainDenoiser(int workers) {
        FrameSpec spec = FrameSpec.denoiser(3, 4, false);
        FrameDenoiser d = FrameDenoiser.random(spec, 5);
        FrameTrainer.Setup setup = new FrameTrainer.Setup(1, 1, false, "gaussian", 25f, 0f, false);
        FrameTrainer.images(d.body(), setup, images(), null,
                config(workers, () -> FrameDenoiser.network(spec, Gemms.create())), TrainingLog.silent()).train();
        return weights(d.body());
    }

    @ParameterizedTest(name = "{0} workers")
    @ValueSource(ints = {2, 3, 5})
    void workersTakeTheStepsOfOne(int workers) {
        float[] one = trainDenoiser(1);
        float[] many = trainDenoiser(workers);
        float[] start = weights(FrameDenoiser.random(FrameSpec.denoiser(3, 4, false), 5).body());
        double moved = maxDiff(one, start);
        double d = maxDiff(one, many);
        assertTrue(moved > 1e-3, "training moved the weights by " + moved);
        assertTrue(d < 1e-4 * moved, workers + " workers differ from one by " + d + " (training moved them " + moved + ")");
    }

    @Test
    void aSuperResolverAndRecurrentVideoToo() {
        FrameSpec sr = FrameSpec.superResolver(3, 4, 2, "pixel-shuffle");
        FrameTrainer.Setup srSetup = new FrameTrainer.Setup(1, 2, true, "none", 0f, 0f, false);
        float[][] w = new float[2][];
        for (int k = 0; k < 2; k++) {
            SuperResolver m = SuperResolver.random(sr, 6);
            FrameTrainer.images(m.body(), srSetup, images(), null,
                    config(k + 1, () -> SuperResolver.network(sr, Gemms.create())), TrainingLog.silent()).train();
            w[k] = weights(m.body());
        }
        assertTrue(maxDiff(w[0], w[1]) < 1e-5, "super-resolver: " + maxDiff(w[0], w[1]));

        FrameSpec rec = FrameSpec.denoiser(2, 3, true);
        FrameTrainer.Setup vSetup = new FrameTrainer.Setup(2, 1, false, "gaussian", 25f, 0f, true);
        for (int k = 0; k < 2; k++) {
            FrameDenoiser m = FrameDenoiser.random(rec, 7);
            FrameTrainer.Config c = config(k + 1, () -> FrameDenoiser.network(rec, Gemms.create()));
            c.videoSide = 16;
            c.sequence = 3;
            FrameTrainer.video(m.body(), vSetup, null, c, TrainingLog.silent()).train();
            w[k] = weights(m.body());
        }
        assertTrue(maxDiff(w[0], w[1]) < 1e-5, "recurrent video: " + maxDiff(w[0], w[1]));
    }

    @Test
    void aWrongWorkerCountOrAMissingReplicaIsRefused() {
        FrameSpec spec = FrameSpec.denoiser(2, 2, false);
        FrameTrainer.Setup setup = new FrameTrainer.Setup(1, 1, false, "gaussian", 25f, 0f, false);
        Sequential body = FrameDenoiser.random(spec, 1).body();
        assertThrows(IllegalArgumentException.class, () -> FrameTrainer.images(body, setup, images(), null,
                config(2, null), TrainingLog.silent()));
        assertThrows(IllegalArgumentException.class, () -> FrameTrainer.images(body, setup, images(), null,
                config(6, () -> FrameDenoiser.network(spec, Gemms.create())), TrainingLog.silent()));
        FrameSpec other = FrameSpec.denoiser(2, 3, false);
        String msg = assertThrows(IllegalArgumentException.class, () -> FrameTrainer.images(body, setup, images(), null,
                config(2, () -> FrameDenoiser.network(other, Gemms.create())), TrainingLog.silent())).getMessage();
        assertTrue(msg.contains("not shaped"), msg);
        assertEquals(2, spec.layers);
    }
}
