package io.converge.bench.sidebyside;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * Renders the memory comparison as a markdown table (one column per target, one ratio column
 * per non-baseline target) followed by one verdict line per target that has a goal.
 */
public final class MemoryTable {
    private MemoryTable() {}

    /** The table and verdict lines; {@code results} in the same order as {@code targets}. */
    public static String render(List<MemoryResult> results, List<TargetSpec> targets) {
        MemoryResult base = results.get(0);
        List<MemoryResult> others = results.subList(1, results.size());
        int keys = base.keys();

        List<String> headers = new ArrayList<>(List.of("measure"));
        results.forEach(r -> headers.add(r.target()));
        others.forEach(r -> headers.add(r.target() + "/" + base.target()));
        List<MarkdownTable.Align> aligns = new ArrayList<>(List.of(MarkdownTable.Align.LEFT));
        while (aligns.size() < headers.size()) {
            aligns.add(MarkdownTable.Align.RIGHT);
        }
        MarkdownTable table = new MarkdownTable(headers, aligns);

        addSampleRow(table, "used_memory, empty", results, r -> r.empty(), MemorySample::usedMemory);
        addSampleRow(table, String.format(Locale.ROOT, "used_memory, %,d keys", keys), results, r -> r.loaded(),
                MemorySample::usedMemory);
        addPerKeyRow(table, "used_memory per key (loaded - empty) / keys", results, MemorySample::usedMemory);
        addSampleRow(table, "RSS, empty", results, r -> r.empty(), MemorySample::resident);
        addSampleRow(table, String.format(Locale.ROOT, "RSS, %,d keys", keys), results, r -> r.loaded(),
                MemorySample::resident);
        addPerKeyRow(table, "RSS per key (loaded - empty) / keys", results, MemorySample::resident);

        List<String> dbSizes = new ArrayList<>(List.of("DBSIZE after loading"));
        results.forEach(r -> dbSizes.add(r.dbSize().isPresent() ? String.format(Locale.ROOT, "%,d", r.dbSize().getAsLong()) : "n/a"));
        others.forEach(r -> dbSizes.add(""));
        table.addRow(dbSizes);

        List<String> loadTimes = new ArrayList<>(List.of("load time (one connection, pipelined SET)"));
        results.forEach(r -> loadTimes.add(r.loadTime() == null ? "n/a"
                : String.format(Locale.ROOT, "%.2f s", r.loadTime().toMillis() / 1000.0)));
        others.forEach(r -> loadTimes.add(r.loadTime() == null || base.loadTime() == null ? "n/a"
                : String.format(Locale.ROOT, "%.2fx", (double) r.loadTime().toNanos() / Math.max(1, base.loadTime().toNanos()))));
        table.addRow(loadTimes);

        StringBuilder out = new StringBuilder(table.render());
        out.append('\n');
        for (int i = 1; i < results.size(); i++) {
            PerformanceGoal goal = targets.get(i).goal();
            if (goal != null) {
                out.append(verdict(base, results.get(i), goal)).append('\n');
            }
        }
        for (MemoryResult result : results) {
            if (result.error() != null) {
                out.append("- ").append(result.target()).append(": ").append(result.error()).append('\n');
            }
            result.notes().forEach(note -> out.append("- ").append(note).append('\n'));
        }
        return out.toString();
    }

    /** One line: how {@code other}'s loaded used_memory compares with the baseline's and the goal. */
    static String verdict(MemoryResult base, MemoryResult other, PerformanceGoal goal) {
        double usedRatio = ratio(base.loaded(), other.loaded(), MemorySample::usedMemory);
        String target = String.format(Locale.ROOT, "(target <= %.1fx)", goal.maxUsedMemoryRatio());
        if (!Double.isNaN(usedRatio)) {
            return String.format(Locale.ROOT, "%s used_memory with %,d keys is %.2fx %s's %s: %s", other.target(),
                    other.keys(), usedRatio, base.target(), target,
                    usedRatio <= goal.maxUsedMemoryRatio() ? "ok" : "**misses the target**");
        }
        double rssRatio = ratio(base.loaded(), other.loaded(), MemorySample::resident);
        if (!Double.isNaN(rssRatio)) {
            return String.format(Locale.ROOT, "%s used_memory is not available, so the memory target %s cannot be "
                    + "checked; its RSS with %,d keys is %.2fx %s's RSS.", other.target(), target, other.keys(),
                    rssRatio, base.target());
        }
        return other.target() + ": no memory comparison (see the notes below).";
    }

    private static void addSampleRow(MarkdownTable table, String label, List<MemoryResult> results,
                                     Function<MemoryResult, MemorySample> when,
                                     Function<MemorySample, OptionalLong> metric) {
        List<String> cells = new ArrayList<>(List.of(label));
        for (MemoryResult result : results) {
            MemorySample sample = when.apply(result);
            OptionalLong value = sample == null ? OptionalLong.empty() : metric.apply(sample);
            cells.add(value.isPresent() ? mebibytes(value.getAsLong()) : "n/a");
        }
        MemorySample baseSample = when.apply(results.get(0));
        for (MemoryResult other : results.subList(1, results.size())) {
            double ratio = ratio(baseSample, when.apply(other), metric);
            cells.add(Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, "%.2fx", ratio));
        }
        table.addRow(cells);
    }

    private static void addPerKeyRow(MarkdownTable table, String label, List<MemoryResult> results,
                                     Function<MemorySample, OptionalLong> metric) {
        List<String> cells = new ArrayList<>(List.of(label));
        for (MemoryResult result : results) {
            double perKey = result.perKey(metric);
            cells.add(Double.isNaN(perKey) ? "n/a" : String.format(Locale.ROOT, "%.1f B", perKey));
        }
        double basePerKey = results.get(0).perKey(metric);
        for (MemoryResult other : results.subList(1, results.size())) {
            double perKey = other.perKey(metric);
            cells.add(Double.isNaN(perKey) || Double.isNaN(basePerKey) || basePerKey <= 0 ? "n/a"
                    : String.format(Locale.ROOT, "%.2fx", perKey / basePerKey));
        }
        table.addRow(cells);
    }

    private static double ratio(MemorySample base, MemorySample other, Function<MemorySample, OptionalLong> metric) {
        if (base == null || other == null) {
            return Double.NaN;
        }
        OptionalLong denominator = metric.apply(base);
        OptionalLong numerator = metric.apply(other);
        if (denominator.isEmpty() || numerator.isEmpty() || denominator.getAsLong() <= 0) {
            return Double.NaN;
        }
        return (double) numerator.getAsLong() / denominator.getAsLong();
    }

    private static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
