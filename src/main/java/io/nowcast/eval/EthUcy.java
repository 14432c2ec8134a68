package io.nowcast.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The five ETH/UCY test scenes and the leave-one-scene-out protocol: a model evaluated on scene X
 * learns only from the {@code train/} and {@code val/} files of the other scenes (files named after
 * their recording: {@code biwi_eth_train.txt}, {@code students001_val.txt}, ...). The recordings
 * that are in no test scene ({@code crowds_zara03}, {@code uni_examples}) are always available
 * for training, as in the published splits.
 */
public final class EthUcy {
    /** Test scene -> the recordings it is made of (prefixes of the file names). */
    public static final Map<String, List<String>> SCENES;

    static {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("eth", List.of("biwi_eth"));
        m.put("hotel", List.of("biwi_hotel"));
        m.put("univ", List.of("students001", "students003"));
        m.put("zara1", List.of("crowds_zara01"));
        m.put("zara2", List.of("crowds_zara02"));
        SCENES = java.util.Collections.unmodifiableMap(m);
    }

    private EthUcy() {
    }

    /**
     * The {@code .txt} files of {@code root/part} (part = train or val) that do not belong to
     * scene {@code leaveOut}, sorted by name.
     */
    public static List<Path> files(Path root, String part, String leaveOut) throws IOException {
        List<String> excluded = SCENES.get(leaveOut);
        if (excluded == null) {
            throw new IllegalArgumentException("unknown scene '" + leaveOut + "': expected one of " + SCENES.keySet());
        }
        Path dir = root.resolve(part);
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": no such directory (expected the ETH/UCY folder with train/, val/ and test/)");
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && name.endsWith(".txt")
                        && excluded.stream().noneMatch(e -> name.startsWith(e + "_") || name.equals(e + ".txt"))) {
                    out.add(p);
                }
            }
        }
        if (out.isEmpty()) {
            throw new IOException(dir + ": no .txt file outside scene " + leaveOut);
        }
        return out;
    }

    /** The test files of a scene: {@code root/test/<scene>/*.txt}. */
    public static Path testDirectory(Path root, String scene) {
        if (!SCENES.containsKey(scene)) {
            throw new IllegalArgumentException("unknown scene '" + scene + "': expected one of " + SCENES.keySet());
        }
        return root.resolve("test").resolve(scene);
    }
}
