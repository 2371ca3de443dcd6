package io.converge.bench.sidebyside;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders one pipeline depth's throughput results as a markdown table: per test, each target's
 * requests per second, the ratio of every other target to the baseline (the first target),
 * p50 and p99 latencies, the p99 ratio, and whether each target met its {@link PerformanceGoal}.
 */
public final class ThroughputTable {
    private ThroughputTable() {}

    /** The table for {@code pipeline}; {@code targets} in the same order as the results' targets. */
    public static String render(ThroughputResults results, int pipeline, List<TargetSpec> targets) {
        TargetSpec baseline = targets.get(0);
        List<TargetSpec> others = targets.subList(1, targets.size());
        List<String> headers = new ArrayList<>(List.of("test"));
        targets.forEach(t -> headers.add(t.name() + " rps"));
        others.forEach(t -> headers.add(t.name() + "/" + baseline.name() + " rps"));
        targets.forEach(t -> headers.add(t.name() + " p50 ms"));
        targets.forEach(t -> headers.add(t.name() + " p99 ms"));
        others.forEach(t -> headers.add(t.name() + "/" + baseline.name() + " p99"));
        List<TargetSpec> withGoals = others.stream().filter(t -> t.goal() != null).toList();
        withGoals.forEach(t -> headers.add(t.name() + " vs target"));

        List<MarkdownTable.Align> aligns = new ArrayList<>();
        aligns.add(MarkdownTable.Align.LEFT);
        while (aligns.size() < headers.size() - withGoals.size()) {
            aligns.add(MarkdownTable.Align.RIGHT);
        }
        withGoals.forEach(t -> aligns.add(MarkdownTable.Align.LEFT));
        MarkdownTable table = new MarkdownTable(headers, aligns);

        for (String test : results.tests(pipeline)) {
            BenchmarkRow base = row(results, pipeline, test, baseline);
            List<String> cells = new ArrayList<>(List.of(test));
            targets.forEach(t -> cells.add(cell(results, pipeline, test, t, BenchmarkRow::rps, "%,.0f")));
            others.forEach(t -> cells.add(ratioCell(base, row(results, pipeline, test, t), BenchmarkRow::rps)));
            targets.forEach(t -> cells.add(cell(results, pipeline, test, t, BenchmarkRow::p50Ms, "%.3f")));
            targets.forEach(t -> cells.add(cell(results, pipeline, test, t, BenchmarkRow::p99Ms, "%.3f")));
            others.forEach(t -> cells.add(ratioCell(base, row(results, pipeline, test, t), BenchmarkRow::p99Ms)));
            withGoals.forEach(t -> cells.add(verdict(base, row(results, pipeline, test, t), t.goal(), pipeline)));
            table.addRow(cells);
        }
        return table.render();
    }

    /** One line naming each goal's thresholds at this depth, to print above the table. */
    public static String goalsLine(int pipeline, List<TargetSpec> targets) {
        StringBuilder line = new StringBuilder();
        String baseline = targets.get(0).name();
        for (TargetSpec target : targets.subList(1, targets.size())) {
            PerformanceGoal goal = target.goal();
            if (goal == null) {
                continue;
            }
            line.append(String.format(Locale.ROOT, "Target for %s at pipeline %d: throughput >= %.2fx %s",
                    target.name(), pipeline, goal.minRpsRatio(pipeline), baseline));
            if (!Double.isNaN(goal.maxP99Ratio())) {
                line.append(String.format(Locale.ROOT, ", p99 <= %.2fx %s", goal.maxP99Ratio(), baseline));
            }
            if (!Double.isNaN(goal.maxP99Ms(pipeline))) {
                line.append(String.format(Locale.ROOT, ", p99 < %.2f ms", goal.maxP99Ms(pipeline)));
            }
            line.append(". ");
        }
        return line.toString().strip();
    }

    /**
     * "ok", or what missed: "**rps 0.82x < 0.90x**", "**p99 1.70x > 1.50x**" and/or
     * "**p99 2.40 ms > 2.00 ms**";
     * "n/a" when either side has no measurement.
     */
    static String verdict(BenchmarkRow base, BenchmarkRow other, PerformanceGoal goal, int pipeline) {
        double rpsRatio = ratio(base, other, BenchmarkRow::rps);
        double p99Ratio = ratio(base, other, BenchmarkRow::p99Ms);
        if (Double.isNaN(rpsRatio)) {
            return "n/a";
        }
        List<String> misses = new ArrayList<>();
        if (rpsRatio < goal.minRpsRatio(pipeline)) {
            // Three decimals when two would print the ratio equal to the goal ("0.90x < 0.90x").
            String digits = String.format(Locale.ROOT, "%.2f", rpsRatio)
                    .equals(String.format(Locale.ROOT, "%.2f", goal.minRpsRatio(pipeline))) ? "3" : "2";
            misses.add(String.format(Locale.ROOT, "**rps %." + digits + "fx < %.2fx**", rpsRatio, goal.minRpsRatio(pipeline)));
        }
        if (!Double.isNaN(p99Ratio) && !Double.isNaN(goal.maxP99Ratio()) && p99Ratio > goal.maxP99Ratio()) {
            misses.add(String.format(Locale.ROOT, "**p99 %.2fx > %.2fx**", p99Ratio, goal.maxP99Ratio()));
        }
        double maxP99Ms = goal.maxP99Ms(pipeline);
        if (!Double.isNaN(maxP99Ms) && !Double.isNaN(other.p99Ms()) && other.p99Ms() >= maxP99Ms) {
            misses.add(String.format(Locale.ROOT, "**p99 %.2f ms >= %.2f ms**", other.p99Ms(), maxP99Ms));
        }
        return misses.isEmpty() ? "ok" : String.join(", ", misses);
    }

    private interface Metric {
        double of(BenchmarkRow row);
    }

    private static BenchmarkRow row(ThroughputResults results, int pipeline, String test, TargetSpec target) {
        ThroughputResults.Result result = results.get(pipeline, test, target.name());
        return result == null ? null : result.row();
    }

    private static String cell(ThroughputResults results, int pipeline, String test, TargetSpec target,
                               Metric metric, String format) {
        ThroughputResults.Result result = results.get(pipeline, test, target.name());
        if (result == null) {
            return "n/a";
        }
        if (result.row() == null) {
            return "failed";
        }
        double value = metric.of(result.row());
        return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, format, value);
    }

    private static String ratioCell(BenchmarkRow base, BenchmarkRow other, Metric metric) {
        double ratio = ratio(base, other, metric);
        return Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    private static double ratio(BenchmarkRow base, BenchmarkRow other, Metric metric) {
        if (base == null || other == null) {
            return Double.NaN;
        }
        double denominator = metric.of(base);
        double numerator = metric.of(other);
        if (Double.isNaN(denominator) || Double.isNaN(numerator) || denominator <= 0) {
            return Double.NaN;
        }
        return numerator / denominator;
    }
}
