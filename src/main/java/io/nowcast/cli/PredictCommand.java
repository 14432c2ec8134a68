package io.nowcast.cli;

import io.nowcast.data.CsvTable;
import io.nowcast.model.Forecaster;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.RecurrentState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Run one stream through a model offline, one row per step with the state carried,",
                "and write one output row per input row (the head's outputs, or the top hidden state without a head)."})
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec commandSpec;

    @Option(names = "--model", required = true, description = "model file (.safetensors)")
    Path model;

    @Option(names = "--input", required = true,
            description = "CSV; the model's input feature columns are read by name from the header (a file without a"
                    + " header, or a model without feature names, gives the first columns in order)")
    Path input;

    @Option(names = "--output", required = true, description = "CSV to write")
    Path output;

    @Option(names = "--group", paramLabel = "COL",
            description = "start again from a zero state wherever the value of this column changes (one series per track id, ...)")
    String group;

    private static List<String> genericNames(int n) {
        List<String> l = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            l.add("x" + j);
        }
        return l;
    }

    @Override
    public Integer call() throws Exception {
        Model m = ModelFiles.load(model);
        if (m instanceof io.nowcast.model.SeriesDenoiser) {
            throw new IllegalArgumentException(model + ": a series-denoiser is scored with 'nowcast eval --task"
                    + " series-denoise' and served by 'nowcast run'");
        }
        if (!(m instanceof Forecaster)) {
            throw new IllegalArgumentException(model + ": predict runs numeric models; a " + m.spec().kind.id
                    + " model is used with 'nowcast sample'");
        }
        Forecaster f = (Forecaster) m;
        ModelSpec spec = f.spec();
        CsvTable table = CsvTable.read(input);
        List<String> cols = spec.inputFeatures;
        boolean generic = cols.isEmpty() || cols.equals(genericNames(spec.inputSize));
        if (!table.columns.containsAll(cols) || cols.isEmpty()) {
            if (table.hasHeader && !generic) {
                throw new IllegalArgumentException(input + ": the model reads the columns " + cols
                        + "; the header has " + table.columns);
            }
            if (table.columns.size() < spec.inputSize) {
                throw new IllegalArgumentException(input + ": the model reads " + spec.inputSize
                        + " features but the file has " + table.columns.size() + " columns " + table.columns);
            }
            // a file without a header, or a model without feature names: the first columns, in order
            cols = new ArrayList<>(table.columns.subList(0, spec.inputSize));
        }
        float[] x = table.select(cols);
        String[] groups = group == null ? null : table.text(group);
        int D = spec.inputSize;
        int rows = table.rowCount();
        int width = f.outputWidth();
        RecurrentState state = f.net().newState(1);
        float[] in = new float[D];
        float[] out = new float[width];
        float[] scratch = new float[Math.max(D, width) + f.net().hiddenSize];
        try (BufferedWriter w = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            w.write(String.join(",", f.outputNames()));
            w.newLine();
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < rows; i++) {
                if (groups != null && i > 0 && !groups[i].equals(groups[i - 1])) {
                    state.reset();
                }
                System.arraycopy(x, i * D, in, 0, D);
                f.step(in, state, out, scratch);
                sb.setLength(0);
                for (int j = 0; j < width; j++) {
                    if (j > 0) {
                        sb.append(',');
                    }
                    sb.append(out[j]);
                }
                w.write(sb.toString());
                w.newLine();
            }
        }
        commandSpec.commandLine().getErr().println("predict: " + rows + " rows -> " + output);
        return 0;
    }
}
