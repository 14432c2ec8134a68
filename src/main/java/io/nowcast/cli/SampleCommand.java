package io.nowcast.cli;

import io.nowcast.model.CharModel;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "sample", mixinStandardHelpOptions = true,
        description = "Generate text from a character model, one character at a time, each fed back in.")
final class SampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "character model file (.safetensors)")
    Path model;

    @Option(names = "--prime", description = "text to start from (default: the vocabulary's first character)")
    String prime;

    @Option(names = "--length", defaultValue = "200", description = "characters to generate (default: ${DEFAULT-VALUE})")
    int length;

    @Option(names = "--temperature", defaultValue = "1.0",
            description = "softmax temperature; 0 always takes the most likely character (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (length < 0) {
            throw new IllegalArgumentException("--length must be >= 0, got " + length);
        }
        Model m = ModelFiles.load(model);
        if (!(m instanceof CharModel)) {
            throw new IllegalArgumentException(model + ": a " + m.spec().kind.id + " model cannot sample text; sample needs a char model");
        }
        CharModel cm = (CharModel) m;
        String p = prime != null ? prime : new String(Character.toChars(cm.vocabulary().charAt(0)));
        spec.commandLine().getOut().println(cm.sample(p, length, temperature, seed));
        return 0;
    }
}
