package io.nowcast.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A CSV table with a header row of column names (comma-separated, no quoted fields). Cells are
 * kept as text; {@link #select} parses the columns asked for as numbers, so a text column such as
 * a date may sit beside them. A file whose first row is all numbers has no header: its columns
 * are named c0, c1, ... Every refusal names the file, the line and the column.
 */
public final class CsvTable {
    private final Path file;
    public final List<String> columns;
    /** False when the first row held numbers and the columns were named c0, c1, ... */
    public final boolean hasHeader;
    private final List<String[]> cells;
    private final int[] lineNumbers;

    private CsvTable(Path file, List<String> columns, boolean hasHeader, List<String[]> cells, int[] lineNumbers) {
        this.file = file;
        this.columns = columns;
        this.hasHeader = hasHeader;
        this.cells = cells;
        this.lineNumbers = lineNumbers;
    }

    public int rowCount() {
        return cells.size();
    }

    public static CsvTable read(Path file) throws IOException {
        List<String> header = new ArrayList<>();
        List<String[]> rows = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        boolean headerRow;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line = r.readLine();
            if (line == null) {
                throw new IOException(file + ": empty file (expected a header row of column names)");
            }
            if (line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            String[] first = split(line);
            boolean numeric = true;
            for (String s : first) {
                numeric &= isNumber(s);
            }
            int lineNo = 1;
            headerRow = !numeric;
            if (numeric) {
                for (int j = 0; j < first.length; j++) {
                    header.add("c" + j);
                }
                rows.add(first);
                lines.add(lineNo);
            } else {
                for (String s : first) {
                    header.add(s);
                }
            }
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                String[] c = split(line);
                if (c.length != header.size()) {
                    throw new IOException(file + ":" + lineNo + ": expected " + header.size() + " columns, found " + c.length);
                }
                rows.add(c);
                lines.add(lineNo);
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + ": not UTF-8 text", e);
        }
        return new CsvTable(file, List.copyOf(header), headerRow, rows, lines.stream().mapToInt(Integer::intValue).toArray());
    }

    private static String[] split(String line) {
        String[] c = line.split(",", -1);
        for (int j = 0; j < c.length; j++) {
            c[j] = c[j].trim();
        }
        return c;
    }

    private static boolean isNumber(String s) {
        try {
            return Float.isFinite(Float.parseFloat(s));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    public Path file() {
        return file;
    }

    /** The line of the file (1-based) that holds data row {@code row}. */
    public int lineOf(int row) {
        return lineNumbers[row];
    }

    private int index(String name) throws IOException {
        int i = columns.indexOf(name);
        if (i < 0) {
            throw new IOException(file + ": column '" + name + "' not found; the file has " + columns);
        }
        return i;
    }

    /** One column's cells as text (e.g. a track id that groups the rows). */
    public String[] text(String name) throws IOException {
        int j = index(name);
        String[] out = new String[cells.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = cells.get(i)[j];
        }
        return out;
    }

    /** Whether every cell of the column is a finite number (a column of dates or labels is not). */
    public boolean isNumeric(String name) throws IOException {
        int j = index(name);
        for (String[] row : cells) {
            if (!isNumber(row[j])) {
                return false;
            }
        }
        return true;
    }

    /** The given columns of every row as finite numbers, (rows, names.size()) row-major. */
    public float[] select(List<String> names) throws IOException {
        int[] idx = new int[names.size()];
        for (int k = 0; k < idx.length; k++) {
            idx[k] = index(names.get(k));
        }
        float[] out = new float[cells.size() * idx.length];
        for (int i = 0; i < cells.size(); i++) {
            String[] row = cells.get(i);
            for (int k = 0; k < idx.length; k++) {
                String c = row[idx[k]];
                float v;
                try {
                    v = Float.parseFloat(c);
                } catch (NumberFormatException e) {
                    v = Float.NaN;
                }
                if (!Float.isFinite(v)) {
                    throw new IOException(file + ":" + lineNumbers[i] + ": column '" + names.get(k)
                            + "': expected a finite number, found '" + c + "'");
                }
                out[i * idx.length + k] = v;
            }
        }
        return out;
    }
}
