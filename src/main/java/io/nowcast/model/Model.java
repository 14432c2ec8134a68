package io.nowcast.model;

import io.nowcast.nn.RecurrentNet;

/**
 * A model the processor can serve: its description and its network. The set of kinds is closed;
 * a file names its kind and {@link ModelFiles#load} builds the matching class.
 */
public sealed interface Model permits CharModel, Forecaster, SeriesDenoiser {
    ModelSpec spec();

    RecurrentNet net();

    /** Builds the model of the spec's kind around a network. */
    static Model of(ModelSpec spec, RecurrentNet net) {
        switch (spec.kind) {
            case CHAR:
                return new CharModel(spec, net);
            case FORECASTER:
                return new Forecaster(spec, net);
            case SERIES_DENOISER:
                return new SeriesDenoiser(spec, net);
            default:
                throw new IllegalArgumentException("no model class for kind " + spec.kind);
        }
    }
}
