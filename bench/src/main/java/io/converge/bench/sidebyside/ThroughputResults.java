package io.converge.bench.sidebyside;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Every throughput result of a run, by pipeline depth, then test, then target. A measurement
 * repeated over several rounds is summarised by its median (see {@link #get}).
 */
public final class ThroughputResults {
    /**
     * One target's result for one test: a row, or the error that replaced it.
     *
     * @param row    the measurement (the median over rounds), or null when {@code error} is set
     * @param error  why there is no measurement, or null
     * @param rounds how many measurements the row summarises
     */
    public record Result(BenchmarkRow row, String error, int rounds) {}

    /** Every round's rows for one test and target, and the first failure if any. */
    private static final class Samples {
        final List<BenchmarkRow> rows = new ArrayList<>();
        String error;
    }

    private final List<String> targets;
    private final Map<Integer, Map<String, Map<String, Samples>>> results = new LinkedHashMap<>();

    /** Results for these targets; the first is the baseline. */
    public ThroughputResults(List<String> targets) {
        this.targets = List.copyOf(targets);
    }

    /** Target names, baseline first. */
    public List<String> targets() {
        return targets;
    }

    /**
     * Records one redis-benchmark outcome. Rows are filed under the test name redis-benchmark
     * printed; a failure is filed under the requested test name in upper case (which is what
     * redis-benchmark prints for the common tests, so both targets share a table row).
     */
    public void record(int pipeline, String target, String requestedTest, BenchmarkOutcome outcome) {
        Map<String, Map<String, Samples>> byTest = results.computeIfAbsent(pipeline, p -> new LinkedHashMap<>());
        if (outcome.isOk()) {
            for (BenchmarkRow row : outcome.rows()) {
                samples(byTest, row.test(), target).rows.add(row);
            }
        } else {
            Samples samples = samples(byTest, requestedTest.toUpperCase(Locale.ROOT), target);
            if (samples.error == null) {
                samples.error = outcome.error();
            }
        }
    }

    private static Samples samples(Map<String, Map<String, Samples>> byTest, String test, String target) {
        return byTest.computeIfAbsent(test, t -> new LinkedHashMap<>()).computeIfAbsent(target, t -> new Samples());
    }

    /** Pipeline depths in the order first recorded. */
    public List<Integer> pipelines() {
        return new ArrayList<>(results.keySet());
    }

    /** Test names recorded at a pipeline depth, in order. */
    public List<String> tests(int pipeline) {
        return new ArrayList<>(results.getOrDefault(pipeline, Map.of()).keySet());
    }

    /**
     * One result, or null when that combination was not run. Over several rounds each metric is
     * the median of its own values (so rps and p99 may come from different rounds); a failure in
     * any round makes the result a failure, since a command that sometimes fails is not measured.
     */
    public Result get(int pipeline, String test, String target) {
        Samples samples = results.getOrDefault(pipeline, Map.of()).getOrDefault(test, Map.of()).get(target);
        if (samples == null) {
            return null;
        }
        if (samples.error != null) {
            return new Result(null, samples.error, samples.rows.size());
        }
        List<BenchmarkRow> rows = samples.rows;
        return new Result(new BenchmarkRow(test, median(rows, BenchmarkRow::rps), median(rows, BenchmarkRow::avgMs),
                median(rows, BenchmarkRow::minMs), median(rows, BenchmarkRow::p50Ms), median(rows, BenchmarkRow::p95Ms),
                median(rows, BenchmarkRow::p99Ms), median(rows, BenchmarkRow::maxMs)), null, rows.size());
    }

    /** The median of one metric (the mean of the middle two for an even count). */
    static double median(List<BenchmarkRow> rows, ToDoubleFunction<BenchmarkRow> metric) {
        double[] values = rows.stream().mapToDouble(metric).sorted().toArray();
        int middle = values.length / 2;
        return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    /** Every failure message, for the summary. */
    public List<String> failures() {
        List<String> failures = new ArrayList<>();
        results.forEach((pipeline, byTest) -> byTest.forEach((test, byTarget) -> byTarget.forEach((target, samples) -> {
            if (samples.error != null) {
                failures.add(target + " " + test + " P" + pipeline + ": " + samples.error);
            }
        })));
        return failures;
    }
}
