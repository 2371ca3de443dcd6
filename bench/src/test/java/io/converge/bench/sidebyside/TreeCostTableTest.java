package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TreeCostTableTest {
    private static final TreeCostTable TABLE = new TreeCostTable("on", "off");

    private static BenchmarkRow row(String test, double rps, double p99) {
        return new BenchmarkRow(test, rps, 0.5, 0.1, 0.4, p99 * 0.9, p99, p99 * 2);
    }

    private static List<String> cells(String text, String afterHeading, String test) {
        String section = text.substring(text.indexOf(afterHeading));
        String line = section.lines().filter(l -> l.startsWith("| " + test + " ")).findFirst().orElseThrow();
        return Arrays.stream(line.substring(1, line.length() - 1).split(" \\| ", -1)).map(String::strip).toList();
    }

    @Test
    void comparesTheTwoClustersPerTestAndDepth() {
        ThroughputResults results = new ThroughputResults(List.of("redis", "on", "off"));
        results.record(1, "redis", "set", BenchmarkOutcome.ok(List.of(row("SET", 90_000, 0.8))));
        results.record(1, "on", "set", BenchmarkOutcome.ok(List.of(row("SET", 58_000, 1.5))));
        results.record(1, "off", "set", BenchmarkOutcome.ok(List.of(row("SET", 60_000, 1.4))));
        results.record(16, "on", "set", BenchmarkOutcome.ok(List.of(row("SET", 180_000, 6.0))));
        results.record(16, "off", "set", BenchmarkOutcome.ok(List.of(row("SET", 200_000, 5.0))));
        results.record(16, "on", "get", BenchmarkOutcome.failed("boom"));
        results.record(16, "off", "get", BenchmarkOutcome.ok(List.of(row("GET", 500_000, 3.0))));

        String text = TABLE.render(results);

        assertThat(text).contains("### Write-path cost of the hash trees").contains("on within 5% of off's throughput");
        assertThat(cells(text, "Pipeline 1:", "SET")).containsExactly("SET", "60,000", "58,000", "0.967x", "1.400", "1.500");
        assertThat(cells(text, "Pipeline 16:", "SET")).containsExactly("SET", "200,000", "180,000", "0.900x", "5.000",
                "6.000");
        assertThat(cells(text, "Pipeline 16:", "GET")).containsExactly("GET", "500,000", "n/a", "n/a", "3.000", "n/a");
        assertThat(text).contains("**Target missed** in 1 of 2 rows (trees on/off below 0.95x): SET P16 0.900x.");
    }

    @Test
    void allRowsWithinTheGoalMeetIt() {
        ThroughputResults results = new ThroughputResults(List.of("redis", "on", "off"));
        results.record(1, "on", "incr", BenchmarkOutcome.ok(List.of(row("INCR", 98_000, 1.0))));
        results.record(1, "off", "incr", BenchmarkOutcome.ok(List.of(row("INCR", 100_000, 1.0))));

        assertThat(TABLE.render(results)).contains("Target met: the trees cost at most 5% in all 1 rows.");
    }
}
