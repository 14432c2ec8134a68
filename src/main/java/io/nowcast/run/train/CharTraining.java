package io.nowcast.run.train;

import io.nowcast.data.TextCorpus;
import io.nowcast.data.Vocabulary;
import io.nowcast.model.CharModel;
import io.nowcast.model.Model;
import io.nowcast.model.ModelFiles;
import io.nowcast.model.ModelKind;
import io.nowcast.model.ModelSpec;
import io.nowcast.nn.CellType;
import io.nowcast.nn.Param;
import io.nowcast.nn.RecurrentNet;
import io.nowcast.run.Provenance;
import io.nowcast.tensor.Gemms;
import io.nowcast.tensor.Rng;
import io.nowcast.train.CharTrainer;
import io.nowcast.train.Optimizer;
import io.nowcast.train.TrainingLog;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code nowcast train --kind char}: a character-level language model on a UTF-8 text file (the
 * last --val-fraction held out), truncated backpropagation through time over --streams segments
 * read side by side; from random weights, from --init's, or by min-char-rnn's recipe.
 */
public final class CharTraining {
    private CharTraining() {
    }

    public static int train(TrainOptions o, Provenance provenance, PrintWriter progress) throws Exception {
        if (o.features() != null || o.targets() != null || o.group() != null || o.horizon() != 1 || !"linear".equals(o.head())) {
            throw new IllegalArgumentException("--features, --targets, --group, --horizon and --head are for --kind forecaster;"
                    + " a character model reads one-hot characters and predicts the next one");
        }
        boolean minChar = false;
        if (o.recipe() != null) {
            if (!o.recipe().equals("min-char-rnn")) {
                throw new IllegalArgumentException("--recipe " + o.recipe() + ": the recipe known is min-char-rnn");
            }
            minChar = true;
            o = o.minCharRnn();
        }
        o.check();
        TextCorpus corpus = TextCorpus.read(o.data());
        int n = corpus.length();
        int split = (int) Math.round(n * (1 - o.valFraction()));
        Rng rng = new Rng(o.seed());

        ModelSpec spec;
        RecurrentNet net;
        if (o.init() != null) {
            Model m = ModelFiles.load(o.init());
            net = m.net();
            spec = m.spec();
            if (spec.kind == ModelKind.CHAR) {
                Vocabulary v = new Vocabulary(spec.vocabulary);
                corpus.encode(v, 0, n); // every character of the data must be in the model's vocabulary
            } else {
                String v = corpus.vocabulary();
                int size = (int) v.codePoints().count();
                if (net.inputSize != size || net.outputSize() != size) {
                    throw new IllegalArgumentException(o.init() + ": the model maps " + net.inputSize + " inputs to "
                            + net.outputSize() + " outputs; the text has " + size + " distinct characters");
                }
                spec = charSpec(spec.cell, size, net.hiddenSize, net.numLayers(), v);
            }
        } else {
            String v = corpus.vocabulary();
            int size = (int) v.codePoints().count();
            spec = charSpec(CellType.parse(o.cell()), size, o.hidden(), o.layers(), v);
            net = new RecurrentNet(spec.cell, size, o.hidden(), o.layers(), size, Gemms.create());
            if (minChar) {
                // min-char-rnn: Wxh, Whh, Why ~ N(0, 0.01^2), biases zero, one hidden bias
                for (Param p : net.params()) {
                    if (p.name.contains("weight")) {
                        rng.normal(p.w(), 0.01f);
                    }
                }
            } else {
                net.initUniform(rng);
                Training.addForgetBias(o, spec.cell, net);
            }
        }
        if (minChar) {
            if (spec.cell != CellType.RNN_TANH || net.numLayers() != 1) {
                throw new IllegalArgumentException("--recipe min-char-rnn trains a one-layer tanh RNN; --init "
                        + o.init() + " holds a " + net.numLayers() + "-layer " + spec.cell.id);
            }
            // min-char-rnn has a single hidden bias: b_hh stays at zero, b_ih plays bh
            Param bhh = net.param("rnn.bias_hh_l0");
            Arrays.fill(bhh.w(), 0f);
            bhh.trainable = false;
        }
        Vocabulary vocab = new Vocabulary(spec.vocabulary);
        int[] train = corpus.encode(vocab, 0, split);
        int[] val = corpus.encode(vocab, split, n);

        CharTrainer.Config cfg = new CharTrainer.Config();
        cfg.streams = o.streams();
        cfg.chunk = o.chunk();
        cfg.maxIterations = o.iterations();
        cfg.maxSeconds = Training.maxSeconds(o);
        cfg.sumLoss = o.sumLoss();
        cfg.clipNorm = o.clipNorm();
        cfg.clipValue = o.clipValue();
        cfg.evalEvery = o.evalEvery();
        cfg.evalChars = o.evalChars();
        cfg.patience = o.patience();
        cfg.smoothing = minChar ? 0.999 : 0.99;
        Optimizer opt = Training.optimizer(o, net);
        String summary = String.format(Locale.ROOT,
                "training a %d-layer %s of %d on %s: %d characters (%d held out), vocabulary %d, %d parameters, %s, gemm %s",
                net.numLayers(), spec.cell.id, net.hiddenSize, o.data().getFileName(), split, n - split, vocab.size(),
                net.parameterCount(), o.optimizer(), net.gemm().name());
        CharTrainer.Result r;
        try (TrainingLog tl = Training.log(o, progress)) {
            tl.message(summary);
            r = new CharTrainer(net, opt, vocab.size(), cfg, tl).train(train, val);
            tl.message(String.format(Locale.ROOT,
                    "done: %d iterations in %.1f s, %.0f chars/s, train loss %.4f nats/char, %s%s",
                    r.iterations, r.seconds, r.charsPerSecond, r.trainLoss,
                    Double.isNaN(r.finalValLoss) ? "no validation"
                            : String.format(Locale.ROOT, "val loss %.4f nats/char", r.finalValLoss)
                            + (Double.isNaN(r.valLoss) || r.valLoss == r.finalValLoss ? ""
                            : String.format(Locale.ROOT, " (best at a validation: %.4f, iteration %d)", r.valLoss, r.bestIteration)),
                    r.stoppedEarly ? " (stopped early at the best weights of iteration " + r.bestIteration + ")" : ""));
        }
        spec.provenance = provenance.of(o.data());
        spec.provenance.put("iterations", r.iterations);
        spec.provenance.put("train_loss", r.trainLoss);
        if (!Double.isNaN(r.finalValLoss)) {
            spec.provenance.put("val_loss", r.finalValLoss);
        }
        spec.provenance.put("seconds", Training.seconds(r.seconds));
        if (o.init() != null) {
            spec.provenance.put("init", o.init().getFileName().toString());
        }
        if (o.name() != null) {
            spec.name = o.name();
        }
        Training.save(new CharModel(spec, net), o.out(), progress);
        return 0;
    }

    /** A character model's spec: one-hot characters of the vocabulary in, their scores out (unnamed). */
    private static ModelSpec charSpec(CellType cell, int size, int hidden, int layers, String vocabulary) {
        ModelSpec s = new ModelSpec();
        s.kind = ModelKind.CHAR;
        s.cell = cell;
        s.inputSize = size;
        s.outputSize = size;
        s.hiddenSize = hidden;
        s.numLayers = layers;
        s.head = ModelSpec.Head.LINEAR;
        s.vocabulary = vocabulary;
        return s;
    }
}
