package io.converge.bench.sidebyside;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The write-path cost of the hash trees (issue 8): the same 3-node cluster measured in the same
 * run with the trees on (the default) and with {@code repair-hash-trees: no}, per pipeline depth
 * and test, as the throughput ratio trees-on / trees-off and its p99 latencies. Goal: the trees
 * cost at most {@link #MAX_COST} of the throughput.
 *
 * @param treesOn  the target with the trees on
 * @param treesOff the same cluster with the trees off
 */
public record TreeCostTable(String treesOn, String treesOff) {
    /** Issue 8's goal: the trees take at most 5% of the throughput. */
    public static final double MAX_COST = 0.05;

    /** The section: a heading, how to read it, one table per pipeline depth, the verdict. */
    public String render(ThroughputResults results) {
        StringBuilder out = new StringBuilder();
        out.append("\n### Write-path cost of the hash trees\n\n");
        out.append(String.format(Locale.ROOT, "Target: %s within %.0f%% of %s's throughput (the same cluster with "
                        + "`repair-hash-trees: no` on every node, measured in the same run, targets taking turns test "
                        + "by test). Ratios of medians; on a shared machine a single row moves by several percent.%n",
                treesOn, 100 * MAX_COST, treesOff));
        List<String> misses = new ArrayList<>();
        int rows = 0;
        for (int pipeline : results.pipelines()) {
            out.append("\nPipeline ").append(pipeline).append(":\n\n");
            MarkdownTable table = new MarkdownTable(
                    List.of("test", treesOff + " rps", treesOn + " rps", "trees on/off rps", treesOff + " p99 ms",
                            treesOn + " p99 ms"),
                    List.of(MarkdownTable.Align.LEFT, MarkdownTable.Align.RIGHT, MarkdownTable.Align.RIGHT,
                            MarkdownTable.Align.RIGHT, MarkdownTable.Align.RIGHT, MarkdownTable.Align.RIGHT));
            for (String test : results.tests(pipeline)) {
                BenchmarkRow on = row(results, pipeline, test, treesOn);
                BenchmarkRow off = row(results, pipeline, test, treesOff);
                if (on == null && off == null) {
                    continue;
                }
                String ratio = "n/a";
                if (on != null && off != null && off.rps() > 0) {
                    double r = on.rps() / off.rps();
                    ratio = String.format(Locale.ROOT, "%.3fx", r);
                    rows++;
                    if (r < 1 - MAX_COST) {
                        misses.add(String.format(Locale.ROOT, "%s P%d %.3fx", test, pipeline, r));
                    }
                }
                table.addRow(List.of(test, number(off, BenchmarkRow::rps, "%,.0f"), number(on, BenchmarkRow::rps, "%,.0f"),
                        ratio, number(off, BenchmarkRow::p99Ms, "%.3f"), number(on, BenchmarkRow::p99Ms, "%.3f")));
            }
            out.append(table.render());
        }
        out.append('\n').append(verdict(rows, misses)).append('\n');
        return out.toString();
    }

    private static String verdict(int rows, List<String> misses) {
        if (rows == 0) {
            return "**Not measured**: no test has figures for both targets.";
        }
        if (misses.isEmpty()) {
            return String.format(Locale.ROOT, "Target met: the trees cost at most %.0f%% in all %d rows.",
                    100 * MAX_COST, rows);
        }
        return String.format(Locale.ROOT, "**Target missed** in %d of %d rows (trees on/off below %.2fx): %s.",
                misses.size(), rows, 1 - MAX_COST, String.join(", ", misses));
    }

    private static String number(BenchmarkRow row, ToDoubleFunction<BenchmarkRow> metric, String format) {
        return row == null || Double.isNaN(metric.applyAsDouble(row)) ? "n/a"
                : String.format(Locale.ROOT, format, metric.applyAsDouble(row));
    }

    private static BenchmarkRow row(ThroughputResults results, int pipeline, String test, String target) {
        ThroughputResults.Result result = results.get(pipeline, test, target);
        return result == null ? null : result.row();
    }
}
