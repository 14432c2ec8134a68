package io.nowcast.cli;

import io.nowcast.data.CsvTable;
import io.nowcast.data.SeriesSet;
import io.nowcast.eval.ForecastScore;
import io.nowcast.model.Forecaster;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score a forecaster on a CSV: run each series through the model step by",
                "step from a zero state (as predict does) and print, per output c+k, the",
                "RMSE and MAE against column c k steps later, next to the last-value",
                "baseline (c+k predicted by c now) on the same steps."})
final class EvaluateCommand implements Callable<Integer> {
    @Spec
    CommandSpec commandSpec;

    @Option(names = "--model", required = true, description = "forecaster model file (.safetensors) with named targets")
    Path model;

    @Option(names = "--data", required = true, description = "CSV with the model's feature and target columns")
    Path data;

    @Option(names = "--group", paramLabel = "COL",
            description = "consecutive rows with the same value in this column form one series, each from a zero state")
    String group;

    @Override
    public Integer call() throws Exception {
        Model m = ModelFiles.load(model);
        if (!(m instanceof Forecaster) || m.spec().targets.isEmpty() || m.spec().head == ModelSpec.Head.NONE) {
            throw new IllegalArgumentException(model + ": evaluate scores forecasters that name their target columns"
                    + " (trained with nowcast train --kind forecaster)");
        }
        Forecaster f = (Forecaster) m;
        ModelSpec spec = f.spec();
        SeriesSet set = SeriesSet.of(CsvTable.read(data), spec.inputFeatures, spec.targets, spec.horizon, group);
        ForecastScore s = ForecastScore.of(f, set);
        PrintWriter out = commandSpec.commandLine().getOut();
        out.println(data.getFileName() + ": " + set.series.size() + " series, " + set.rows() + " rows, "
                + s.scored() + " steps scored; model " + spec.name + " (" + spec.cell.id + " " + spec.hiddenSize + ", "
                + spec.head.id() + " head)");
        out.print(s.table());
        out.flush();
        return 0;
    }
}
