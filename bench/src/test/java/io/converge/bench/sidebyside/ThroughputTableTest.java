package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThroughputTableTest {
    private static final List<TargetSpec> TARGETS = List.of(
            ProcessTarget.redisServer("redis", "redis-server"),
            new ProcessTarget("converge", CommandTemplate.ofShell("node --port {port}"), PerformanceGoal.SINGLE_NODE));

    private static BenchmarkRow row(String test, double rps, double p50, double p99) {
        return new BenchmarkRow(test, rps, p50, p50 / 2, p50, p99 * 0.9, p99, p99 * 2);
    }

    private static ThroughputResults results() {
        ThroughputResults results = new ThroughputResults(List.of("redis", "converge"));
        results.record(1, "redis", "set", BenchmarkOutcome.ok(List.of(row("SET", 100_000, 0.3, 0.8))));
        results.record(1, "converge", "set", BenchmarkOutcome.ok(List.of(row("SET", 85_000, 0.35, 1.0))));
        results.record(1, "converge", "get", BenchmarkOutcome.ok(List.of(row("GET", 95_000, 0.3, 0.9))));
        results.record(1, "redis", "get", BenchmarkOutcome.ok(List.of(row("GET", 100_000, 0.3, 0.5))));
        results.record(1, "redis", "zadd", BenchmarkOutcome.ok(List.of(row("ZADD", 90_000, 0.3, 0.6))));
        results.record(1, "converge", "zadd", BenchmarkOutcome.failed("Error from server: ERR unknown command 'ZADD'"));
        results.record(16, "redis", "set", BenchmarkOutcome.ok(List.of(row("SET", 800_000, 0.9, 2.0))));
        results.record(16, "converge", "set", BenchmarkOutcome.ok(List.of(row("SET", 600_000, 1.1, 2.4))));
        return results;
    }

    /** The cells of the table line for {@code test}, trimmed. */
    private static List<String> cells(String table, String test) {
        String line = table.lines().filter(l -> l.startsWith("| " + test + " ")).findFirst().orElseThrow();
        return Arrays.stream(line.substring(1, line.length() - 1).split(" \\| ", -1)).map(String::strip).toList();
    }

    @Test
    void hasTheRequestedColumnsInOrder() {
        String table = ThroughputTable.render(results(), 1, TARGETS);

        assertThat(table.lines().findFirst().orElseThrow()).isEqualToIgnoringWhitespace(
                "| test | redis rps | converge rps | converge/redis rps | redis p50 ms | converge p50 ms "
                        + "| redis p99 ms | converge p99 ms | converge/redis p99 | converge vs target |");
        assertThat(table.lines().count()).isEqualTo(2 + 3);
    }

    @Test
    void showsRatesLatenciesAndRatios() {
        String table = ThroughputTable.render(results(), 1, TARGETS);

        assertThat(cells(table, "SET")).containsExactly("SET", "100,000", "85,000", "0.85x", "0.300", "0.350",
                "0.800", "1.000", "1.25x", "**rps 0.85x < 0.90x**");
        assertThat(cells(table, "GET")).containsExactly("GET", "100,000", "95,000", "0.95x", "0.300", "0.300",
                "0.500", "0.900", "1.80x", "**p99 1.80x > 1.50x**");
    }

    @Test
    void aFailedMeasurementShowsAsFailedWithoutRatios() {
        String table = ThroughputTable.render(results(), 1, TARGETS);

        assertThat(cells(table, "ZADD")).containsExactly("ZADD", "90,000", "failed", "n/a", "0.300", "failed",
                "0.600", "failed", "n/a", "n/a");
        assertThat(results().failures()).containsExactly(
                "converge ZADD P1: Error from server: ERR unknown command 'ZADD'");
    }

    @Test
    void pipelinedDepthsUseTheLowerThroughputTarget() {
        String table = ThroughputTable.render(results(), 16, TARGETS);

        // 0.75x would miss the unpipelined 0.9x target but meets the pipelined 0.7x one
        assertThat(cells(table, "SET")).endsWith("0.75x", "0.900", "1.100", "2.000", "2.400", "1.20x", "ok").hasSize(10);
        assertThat(ThroughputTable.goalsLine(16, TARGETS))
                .isEqualTo("Target for converge at pipeline 16: throughput >= 0.70x redis, p99 <= 1.50x redis.");
    }

    @Test
    void repeatedRoundsAreSummarisedByTheMedianOfEachMetric() {
        ThroughputResults results = new ThroughputResults(List.of("redis"));
        results.record(1, "redis", "set", BenchmarkOutcome.ok(List.of(row("SET", 100, 0.2, 3.0))));
        results.record(1, "redis", "set", BenchmarkOutcome.ok(List.of(row("SET", 300, 0.1, 1.0))));
        results.record(1, "redis", "set", BenchmarkOutcome.ok(List.of(row("SET", 200, 0.4, 2.0))));
        results.record(1, "redis", "get", BenchmarkOutcome.ok(List.of(row("GET", 100, 0.2, 3.0))));
        results.record(1, "redis", "get", BenchmarkOutcome.ok(List.of(row("GET", 200, 0.4, 1.0))));
        results.record(1, "redis", "incr", BenchmarkOutcome.ok(List.of(row("INCR", 100, 0.2, 3.0))));
        results.record(1, "redis", "incr", BenchmarkOutcome.failed("connection reset"));

        ThroughputResults.Result set = results.get(1, "SET", "redis");
        ThroughputResults.Result get = results.get(1, "GET", "redis");

        assertThat(set.rounds()).isEqualTo(3);
        assertThat(set.row().rps()).isEqualTo(200);
        assertThat(set.row().p50Ms()).isEqualTo(0.2);
        assertThat(set.row().p99Ms()).isEqualTo(2.0);
        assertThat(get.row().rps()).isEqualTo(150);
        assertThat(get.row().p99Ms()).isEqualTo(2.0);
        assertThat(results.get(1, "INCR", "redis").error()).isEqualTo("connection reset");
        assertThat(results.get(1, "ZADD", "redis")).isNull();
    }

    @Test
    void verdictNamesEveryMissedTarget() {
        BenchmarkRow base = row("SET", 100, 0.1, 1.0);

        assertThat(ThroughputTable.verdict(base, row("SET", 90, 0.1, 1.5), PerformanceGoal.SINGLE_NODE, 1)).isEqualTo("ok");
        assertThat(ThroughputTable.verdict(base, row("SET", 50, 0.1, 2.0), PerformanceGoal.SINGLE_NODE, 1))
                .isEqualTo("**rps 0.50x < 0.90x**, **p99 2.00x > 1.50x**");
        assertThat(ThroughputTable.verdict(base, null, PerformanceGoal.SINGLE_NODE, 1)).isEqualTo("n/a");
        assertThat(ThroughputTable.verdict(base, row("SET", 89.9, 0.1, 1.0), PerformanceGoal.SINGLE_NODE, 1))
                .isEqualTo("**rps 0.899x < 0.90x**");
    }

    @Test
    void theClusterGoalIsARatioAndAnAbsoluteP99AtPipelineOne() {
        BenchmarkRow base = row("SET", 100, 0.1, 0.5);
        PerformanceGoal cluster = PerformanceGoal.LOCAL_CLUSTER;

        assertThat(ThroughputTable.verdict(base, row("SET", 36, 0.5, 1.9), cluster, 1)).as("p99 3.8x redis is allowed").isEqualTo("ok");
        assertThat(ThroughputTable.verdict(base, row("SET", 30, 0.5, 2.5), cluster, 1))
                .isEqualTo("**rps 0.30x < 0.35x**, **p99 2.50 ms >= 2.00 ms**");
        assertThat(ThroughputTable.verdict(base, row("SET", 40, 3.0, 9.0), cluster, 16)).as("batches of 16: no p99 bound").isEqualTo("ok");
        List<TargetSpec> targets = List.of(TARGETS.get(0), new ClusterTarget("converge-3node", List.of("java"),
                java.nio.file.Path.of("node.jar"), 3, "ONE", "LOCAL_QUORUM", java.util.Set.of(), cluster));
        assertThat(ThroughputTable.goalsLine(1, targets))
                .isEqualTo("Target for converge-3node at pipeline 1: throughput >= 0.35x redis, p99 < 2.00 ms.");
        assertThat(ThroughputTable.goalsLine(16, targets))
                .isEqualTo("Target for converge-3node at pipeline 16: throughput >= 0.35x redis.");
    }

    @Test
    void moreTargetsGetTheirOwnColumnsAgainstTheBaseline() {
        List<TargetSpec> three = List.of(TARGETS.get(0), TARGETS.get(1),
                new ProcessTarget("cluster", CommandTemplate.ofShell("x {port}"), null));
        ThroughputResults results = results();
        results.record(16, "cluster", "set", BenchmarkOutcome.ok(List.of(row("SET", 400_000, 2.0, 4.0))));

        String table = ThroughputTable.render(results, 16, three);

        assertThat(table.lines().findFirst().orElseThrow()).contains("cluster rps", "cluster/redis rps",
                "cluster p99 ms", "cluster/redis p99").doesNotContain("cluster vs target");
        assertThat(cells(table, "SET")).contains("400,000", "0.50x", "2.00x");
    }
}
