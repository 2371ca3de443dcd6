package io.converge.bench.sidebyside;

import java.util.ArrayList;
import java.util.List;

/** Builds a GitHub-flavoured markdown table whose columns are padded to line up in a terminal too. */
public final class MarkdownTable {
    /** Column alignment: text left, numbers right. */
    public enum Align { LEFT, RIGHT }

    private final List<String> headers;
    private final List<Align> aligns;
    private final List<List<String>> rows = new ArrayList<>();

    /** A table with these column headers and alignments (same length). */
    public MarkdownTable(List<String> headers, List<Align> aligns) {
        if (headers.size() != aligns.size()) {
            throw new IllegalArgumentException("one alignment per header");
        }
        this.headers = List.copyOf(headers);
        this.aligns = List.copyOf(aligns);
    }

    /** Appends a row; it must have one cell per column. */
    public MarkdownTable addRow(List<String> cells) {
        if (cells.size() != headers.size()) {
            throw new IllegalArgumentException("row has " + cells.size() + " cells, table has " + headers.size() + " columns");
        }
        rows.add(cells.stream().map(MarkdownTable::escape).toList());
        return this;
    }

    /** The table as markdown lines, each ending in a newline. */
    public String render() {
        int[] widths = new int[headers.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = Math.max(3, headers.get(c).length());
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        StringBuilder out = new StringBuilder();
        appendLine(out, headers, widths);
        out.append('|');
        for (int c = 0; c < widths.length; c++) {
            out.append(aligns.get(c) == Align.RIGHT ? " " + "-".repeat(widths[c] - 1) + ": |" : " :" + "-".repeat(widths[c] - 1) + " |");
        }
        out.append('\n');
        for (List<String> row : rows) {
            appendLine(out, row, widths);
        }
        return out.toString();
    }

    private void appendLine(StringBuilder out, List<String> cells, int[] widths) {
        out.append('|');
        for (int c = 0; c < widths.length; c++) {
            String cell = cells.get(c);
            String padding = " ".repeat(widths[c] - cell.length());
            out.append(' ').append(aligns.get(c) == Align.RIGHT ? padding + cell : cell + padding).append(" |");
        }
        out.append('\n');
    }

    private static String escape(String cell) {
        return cell.replace("|", "\\|").replace("\n", " ");
    }
}
