package io.nowcast.nn;

import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The benchmarks' library steps compute the serving step's numbers (to rounding): whole products
 * and padded row blocks, every cell, stacked, over batches that leave a partial block.
 */
class GemmStepTest {

    @ParameterizedTest
    @EnumSource(CellType.class)
    void theLibraryStepsGiveTheServingStepsStates(CellType cell) {
        RecurrentNet net = new RecurrentNet(cell, 5, 24, 2, 0, Gemms.create("ejml")).initUniform(new Rng(7));
        for (int rowBlock : new int[] {0, 8}) {
            for (int n : new int[] {1, 13}) {
                Rng rng = new Rng(8);
                float[] x = new float[n * 5];
                RecurrentState served = net.newState(n);
                RecurrentState library = net.newState(n);
                GemmStep step = new GemmStep(net, Gemms.create("ejml"), rowBlock);
                float[] y = new float[n * 24];
                for (int t = 0; t < 4; t++) {
                    rng.uniform(x, 1f);
                    net.step(x, 0, served, y, 0);
                    step.step(x, 0, library);
                }
                for (int l = 0; l < 2; l++) {
                    for (int i = 0; i < n * 24; i++) {
                        String what = cell + " rows of " + rowBlock + ", " + n + " streams, layer " + l + " [" + i + "]";
                        assertEquals(served.h[l][i], library.h[l][i], 1e-5, what + " h");
                        if (served.hasCell()) {
                            assertEquals(served.c[l][i], library.c[l][i], 1e-5, what + " c");
                        }
                    }
                }
            }
        }
    }
}
