package io.nowcast.model;

import io.nowcast.nn.Sequential;

/**
 * A model over grey frames (values in [0, 1], row-major, frame after frame): a denoiser
 * ({@link FrameDenoiser}) or a super-resolver ({@link SuperResolver}). Files: {@link FrameModels}.
 */
public sealed interface FrameModel permits FrameDenoiser, SuperResolver {
    /** Kind, name, version, architecture, noise, provenance (the file's JSON metadata). */
    FrameSpec spec();

    /** 1 for a denoiser; 2, 3 or 4 for a super-resolver. */
    int scale();

    /** True: the stream's previous OUTPUT frame is a second input channel. */
    boolean recurrent();

    /**
     * n frames of h x w in, n frames of (h*scale) x (w*scale) out, clipped to [0,1].
     * prev: recurrent models only: the n previous output frames of the same streams
     * (a stream's first frame passes its own input as prev); ignored (may be null) otherwise.
     * Not thread-safe (buffers reused); one instance per thread.
     */
    void apply(float[] in, int n, int h, int w, float[] prev, float[] out);

    /** The convolutional network (parameters named body.i.weight / body.i.bias, PyTorch's nn.Sequential numbering). */
    Sequential body();
}
