package io.nowcast.data;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;

/**
 * Text for a character model: the characters (UTF-16 code units are not split: the text is read
 * as code points) and the vocabulary, the sorted set of distinct characters.
 */
public final class TextCorpus {
    private final int[] codePoints;

    public TextCorpus(String text) {
        this.codePoints = text.codePoints().toArray();
    }

    /** Reads a UTF-8 text file, refusing malformed UTF-8 with the file named. */
    public static TextCorpus read(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException(file + ": cannot read the text: " + e.getMessage(), e);
        }
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return new TextCorpus(s);
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": not valid UTF-8 text (" + e.getMessage() + ")", e);
        }
    }

    public int length() {
        return codePoints.length;
    }

    /** The sorted distinct characters of this text, as a string. */
    public String vocabulary() {
        TreeSet<Integer> set = new TreeSet<>();
        for (int c : codePoints) {
            set.add(c);
        }
        StringBuilder sb = new StringBuilder();
        for (int c : set) {
            sb.appendCodePoint(c);
        }
        return sb.toString();
    }

    /** Indices into {@code vocabulary} of characters [from, to). */
    public int[] encode(Vocabulary vocabulary, int from, int to) {
        int[] out = new int[to - from];
        for (int i = from; i < to; i++) {
            out[i - from] = vocabulary.indexOf(codePoints[i]);
            if (out[i - from] < 0) {
                throw new IllegalArgumentException("character " + new String(Character.toChars(codePoints[i]))
                        + " at position " + i + " is not in the vocabulary");
            }
        }
        return out;
    }
}
