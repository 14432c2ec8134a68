package io.nowcast.stream.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.nowcast.codec.Sample;
import io.nowcast.eval.ForecasterTrajectories;
import io.nowcast.model.Forecaster;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A trajectory model relative to its inputs (constant velocity plus a learnt correction) gives in
 * the processor's batching loop, streams interleaved, exactly the displacements {@code nowcast eval}
 * scores: the transformation lives in the model, not in the evaluation.
 */
class TrajectoryModelInTheRunnerTest {
    private static Forecaster model() {
        ModelSpec spec = new ModelSpec();
        spec.cell = CellType.LSTM;
        spec.inputSize = 2;
        spec.hiddenSize = 8;
        spec.outputSize = 24;
        spec.inputFeatures = List.of("dx", "dy");
        spec.targets = List.of("dx", "dy");
        spec.horizon = 12;
        spec.relativeToInput = true;
        spec.inputMean = new float[2];
        spec.inputStd = new float[] {0.3f, 0.3f};
        spec.outputMean = new float[24];
        spec.outputStd = new float[24];
        Arrays.fill(spec.outputStd, 0.2f);
        RecurrentNet net = new RecurrentNet(CellType.LSTM, 2, 8, 1, 24, Gemms.create()).initUniform(new Rng(5));
        return new Forecaster(spec, net);
    }

    @Test
    void streamsInterleavedInTheRunnerGiveTheEvaluatedPredictions() {
        Forecaster f = model();
        Rng rng = new Rng(9);
        int streams = 3;
        float[][] obs = new float[streams][16];
        for (int s = 0; s < streams; s++) {
            for (int t = 1; t < 8; t++) {
                obs[s][2 * t] = obs[s][2 * t - 2] + 0.4f + 0.1f * (float) rng.nextGaussian();
                obs[s][2 * t + 1] = obs[s][2 * t - 1] + 0.1f * (float) rng.nextGaussian();
            }
        }
        // the 7 displacements of each stream, round robin, two samples per batch
        List<Sample> all = new ArrayList<>();
        for (int t = 1; t < 8; t++) {
            for (int s = 0; s < streams; s++) {
                all.add(new Sample("p" + s, 1000L * t, new float[] {obs[s][2 * t] - obs[s][2 * t - 2],
                        obs[s][2 * t + 1] - obs[s][2 * t - 1]}));
            }
        }
        StreamStateStore store = new StreamStateStore(1, 8, true, 10, 0, null);
        PipelineRunner r = new PipelineRunner("traj", f, store, false, 0, () -> 0L);
        PipelineRunnerTest.Collected c = new PipelineRunnerTest.Collected();
        for (int from = 0; from < all.size(); from += 2) {
            c.offset = from;
            r.process(all.subList(from, Math.min(all.size(), from + 2))).replay(c);
        }
        for (int s = 0; s < streams; s++) {
            JsonNode last = c.predictions.get(6 * streams + s);
            assertEquals(7, last.get("step").asInt());
            JsonNode steps = last.get("predictions");
            assertEquals(12, steps.size(), "one array per horizon step, as schemas/prediction.schema.json says");
            float[] pos = new ForecasterTrajectories(model()).predict(obs[s], 12);
            double x = obs[s][14];
            double y = obs[s][15];
            for (int k = 0; k < 12; k++) {
                assertEquals(2, steps.get(k).size(), "[dx, dy] " + (k + 1) + " ahead");
                x += steps.get(k).get(0).asDouble();
                y += steps.get(k).get(1).asDouble();
                assertEquals(pos[2 * k], x, 1e-4, "stream " + s + ", x " + (k + 1) + " ahead");
                assertEquals(pos[2 * k + 1], y, 1e-4);
            }
        }
    }
}
