package io.nowcast.run.train;

import java.nio.file.Path;

/** The options only {@code nowcast train --kind frame-denoiser|super-resolver} reads, as given. */
public record FrameOptions(int channels, int patch, int batch, boolean clipNoise, int scale, String upsampling,
                           boolean recurrent, int sequence, String lrSchedule, int[] dilations, int workers, Path val) {
}
