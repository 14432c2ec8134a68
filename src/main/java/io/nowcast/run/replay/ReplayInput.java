package io.nowcast.run.replay;

import java.nio.file.Path;
import java.util.List;

/**
 * The input of {@code nowcast replay} and how to read it: the file or folder, its format (null:
 * from the name), for a CSV the stream, time and value columns, the prefix of every stream id,
 * and the first event time and step when the times are made up (null: defaults).
 */
public record ReplayInput(Path input, Format format, String streamColumn, String timeColumn, List<String> columns,
                          String streamPrefix, Long startMs, Long stepMs) {
    /** The formats replay reads. */
    public enum Format { csv, trajectory, images }
}
