package io.nowcast.model;

import java.util.ArrayList;
import java.util.List;

/** The closed set of model kinds Nowcast serves (more arrive with the denoisers). */
public enum ModelKind {
    /** Next-character model over a vocabulary: one-hot in, logits out. */
    CHAR("char"),
    /** Numeric sequence model: feature vectors in, predicted values (or the hidden state) out. */
    FORECASTER("forecaster"),
    /**
     * Causal denoiser of a multi-channel series: the noisy newest sample in, that sample cleaned
     * out, from what the stream has shown so far (the recurrent state is the stream's memory).
     */
    SERIES_DENOISER("series-denoiser"),
    /**
     * Denoiser of grey frames ({@link FrameDenoiser}): a convolutional network predicting the
     * noise; its recurrent variant also reads the stream's previous cleaned frame.
     */
    FRAME_DENOISER("frame-denoiser"),
    /** Raises the resolution of grey frames by 2, 3 or 4 ({@link SuperResolver}). */
    SUPER_RESOLVER("super-resolver");

    public final String id;

    ModelKind(String id) {
        this.id = id;
    }

    /** The kind with this id, or null. */
    public static ModelKind parse(String id) {
        for (ModelKind k : values()) {
            if (k.id.equals(id)) {
                return k;
            }
        }
        return null;
    }

    /** Whether a model of this kind works on frames (loaded by {@link FrameModels}, not {@link ModelFiles}). */
    public boolean isFrame() {
        return this == FRAME_DENOISER || this == SUPER_RESOLVER;
    }

    public static List<String> ids() {
        List<String> l = new ArrayList<>();
        for (ModelKind k : values()) {
            l.add(k.id);
        }
        return l;
    }
}
