package io.nowcast.data;

import java.util.Arrays;

/** A character vocabulary: index i is the i-th character of a sorted string of distinct characters. */
public final class Vocabulary {
    private final int[] chars;

    public Vocabulary(String sortedDistinct) {
        this.chars = sortedDistinct.codePoints().toArray();
        for (int i = 1; i < chars.length; i++) {
            if (chars[i] <= chars[i - 1]) {
                throw new IllegalArgumentException("a vocabulary lists distinct characters in sorted order");
            }
        }
        if (chars.length == 0) {
            throw new IllegalArgumentException("a vocabulary needs at least one character");
        }
    }

    public int size() {
        return chars.length;
    }

    /** The index of a character, or -1. */
    public int indexOf(int codePoint) {
        int i = Arrays.binarySearch(chars, codePoint);
        return i >= 0 ? i : -1;
    }

    public int charAt(int index) {
        return chars[index];
    }

    /** Encodes a string, refusing characters outside the vocabulary. */
    public int[] encode(String s) {
        return s.codePoints().map(c -> {
            int i = indexOf(c);
            if (i < 0) {
                throw new IllegalArgumentException("character '" + new String(Character.toChars(c))
                        + "' is not in the model's vocabulary");
            }
            return i;
        }).toArray();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int c : chars) {
            sb.appendCodePoint(c);
        }
        return sb.toString();
    }
}
