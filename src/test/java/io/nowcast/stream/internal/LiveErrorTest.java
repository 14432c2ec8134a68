package io.nowcast.stream.internal;

import io.nowcast.stream.Meters;
import io.nowcast.stream.TestModels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nowcast.codec.Sample;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelSpec;
import io.nowcast.tensor.Rng;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The live prediction error: for every prediction followed by its stream's next sample, the
 * absolute error of each predicted value, whatever the batching; none across a gap reset; and
 * which outputs are compared with which inputs.
 */
class LiveErrorTest {
    @Test
    void theErrorIsThatOfEachStreamsLastPredictionAgainstItsNextSample() {
        Forecaster f = TestModels.lstm2x16(9);
        Rng rng = new Rng(4);
        // stream a: 7 samples 100 ms apart; b: 4, a gap of 10 s, 3 more (gap.ms 1000)
        List<float[]> xa = walk(rng, 7);
        List<float[]> xb = walk(rng, 7);
        List<Sample> all = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            all.add(new Sample("a", 100L * i, xa.get(i)));
            all.add(new Sample("b", 100L * i + (i >= 4 ? 10_000 : 0), xb.get(i)));
        }
        // expected: each stream alone, fresh after the gap
        List<Float> expected = new ArrayList<>();
        pairs(xa, PipelineRunnerTest.alone(f, xa), expected);
        pairs(xb.subList(0, 4), PipelineRunnerTest.alone(f, xb.subList(0, 4)), expected);
        pairs(xb.subList(4, 7), PipelineRunnerTest.alone(f, xb.subList(4, 7)), expected);
        assertEquals(2 * (6 + 3 + 2), expected.size());
        double sum = 0;
        double max = 0;
        for (float e : expected) {
            sum += e;
            max = Math.max(max, e);
        }
        for (int batch : new int[] {1, 3, all.size()}) {
            SimpleMeterRegistry reg = new SimpleMeterRegistry();
            PipelineMeters m = new PipelineMeters(reg, "p", "walk-lstm", "7");
            StreamStateStore store = new StreamStateStore(1, 16, true, 10, 0, null);
            PipelineRunner r = new PipelineRunner("p", f, store, false, 1000, () -> 0L, m);
            assertEquals(2, r.errorValues());
            for (int from = 0; from < all.size(); from += batch) {
                r.process(all.subList(from, Math.min(all.size(), from + batch))).replay(new PipelineRunnerTest.Collected());
            }
            DistributionSummary s = reg.get(Meters.ERROR.name()).tag("pipeline", "p").tag("horizon", "1").summary();
            assertEquals(expected.size(), s.count(), "batch " + batch);
            assertEquals(sum, s.totalAmount(), 1e-4, "batch " + batch);
            assertEquals(max, s.max(), 1e-6, "batch " + batch);
            assertEquals(1.0, reg.get(Meters.GAP_RESETS.name()).counter().count());
            assertEquals(14.0, reg.get(Meters.PREDICTIONS.name()).counter().count());
        }
    }

    /** |x[i + 1] - y[i]| per value, y[i] the prediction made at sample i. */
    private static void pairs(List<float[]> x, float[][] y, List<Float> out) {
        for (int i = 0; i + 1 < x.size(); i++) {
            for (int j = 0; j < 2; j++) {
                out.add(Math.abs(x.get(i + 1)[j] - y[i][j]));
            }
        }
    }

    private static List<float[]> walk(Rng rng, int n) {
        List<float[]> xs = new ArrayList<>();
        float x = 0;
        float y = 0;
        for (int i = 0; i < n; i++) {
            x += (float) rng.nextGaussian() * 0.3f;
            y += (float) rng.nextGaussian() * 0.3f;
            xs.add(new float[] {x, y});
        }
        return xs;
    }

    @Test
    void namedTargetsAreComparedWithTheInputsOfTheSameName() {
        ModelSpec s = new ModelSpec();
        s.head = ModelSpec.Head.LINEAR;
        s.inputFeatures = List.of("x", "y", "speed");
        s.targets = List.of("y", "heading", "x");
        s.horizon = 3;
        int[][] p = PipelineRunner.errorPairs(s, 3, 9);
        // outputs target by target, 1..3 steps ahead: y+1 at 0, heading+1 at 3 (no such input), x+1 at 6
        assertArrayEquals(new int[] {0, 6}, p[0]);
        assertArrayEquals(new int[] {1, 0}, p[1]);
    }

    @Test
    void unnamedTargetsMatchInputsByPositionWhenThereAreAsMany() {
        ModelSpec s = new ModelSpec();
        s.head = ModelSpec.Head.GAUSSIAN;
        s.horizon = 2;
        int[][] p = PipelineRunner.errorPairs(s, 2, 4);
        assertArrayEquals(new int[] {0, 2}, p[0]);
        assertArrayEquals(new int[] {0, 1}, p[1]);
        assertEquals(0, PipelineRunner.errorPairs(s, 3, 4)[0].length, "3 inputs, 2 targets: nothing to compare");
        s.head = ModelSpec.Head.NONE;
        assertEquals(0, PipelineRunner.errorPairs(s, 2, 4)[0].length, "a bare hidden state predicts no input");
    }
}
