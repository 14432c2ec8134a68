package io.nowcast.run.demo;

/** The topics of {@code nowcast demo}, and the frame model that makes its cameras pipeline. */
public final class DemoTopics {
    public static final String TRACKS = "tracks";
    public static final String TRACK_PREDICTIONS = "track-predictions";
    public static final String SENSORS = "sensors";
    public static final String SENSOR_PREDICTIONS = "sensor-predictions";
    public static final String CAMERA = "camera-noisy";
    public static final String CAMERA_CLEAN = "camera-clean";
    public static final String CAMERA_CLEANED = "camera-cleaned";
    /** The frame model of the cameras pipeline; without it no frame pipeline runs. */
    public static final String CAMERA_MODEL = "camera-denoiser.safetensors";

    private DemoTopics() {
    }
}
