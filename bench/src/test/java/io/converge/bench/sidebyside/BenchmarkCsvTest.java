package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkCsvTest {
    @TempDir
    Path logs;

    @Test
    void parsesWhatTheInstalledRedisBenchmarkPrints() throws Exception {
        try (Cleanup cleanup = new Cleanup();
             RunningTarget redis = ProcessTarget.redisServer("redis", "redis-server").start(logs, Duration.ofSeconds(20), cleanup)) {
            Process benchmark = new ProcessBuilder("redis-benchmark", "-h", "127.0.0.1", "-p",
                    Integer.toString(redis.clientPort()), "-n", "2000", "-c", "10", "-t", "set,get", "--csv")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String output = new String(benchmark.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(benchmark.waitFor(30, TimeUnit.SECONDS)).isTrue();

            List<BenchmarkRow> rows = BenchmarkCsv.parse(output);

            assertThat(rows).extracting(BenchmarkRow::test).containsExactly("SET", "GET");
            for (BenchmarkRow row : rows) {
                assertThat(row.rps()).as(output).isPositive();
                assertThat(row.minMs()).isLessThanOrEqualTo(row.p50Ms());
                assertThat(row.p50Ms()).isLessThanOrEqualTo(row.p95Ms());
                assertThat(row.p95Ms()).isLessThanOrEqualTo(row.p99Ms());
                assertThat(row.p99Ms()).isLessThanOrEqualTo(row.maxMs());
                assertThat(row.avgMs()).isPositive();
            }
        }
    }

    @Test
    void readsEveryRedis7Column() {
        String output = """
                "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
                "SET","68965.52","0.380","0.120","0.359","0.479","1.311","1.839"
                """;

        assertThat(BenchmarkCsv.parse(output))
                .containsExactly(new BenchmarkRow("SET", 68965.52, 0.380, 0.120, 0.359, 0.479, 1.311, 1.839));
    }

    @Test
    void matchesColumnsByHeaderNameNotPosition() {
        String output = """
                test,p99_latency_ms,rps,p50_latency_ms,extra
                GET,0.535,74074.07,0.351,whatever
                """;

        BenchmarkRow row = BenchmarkCsv.parse(output).get(0);

        assertThat(row.test()).isEqualTo("GET");
        assertThat(row.rps()).isEqualTo(74074.07);
        assertThat(row.p50Ms()).isEqualTo(0.351);
        assertThat(row.p99Ms()).isEqualTo(0.535);
        assertThat(row.maxMs()).isNaN();
    }

    @Test
    void withoutHeaderAssumesTheRedis7OrderAndMissingColumnsAreNaN() {
        String output = "\"PING_INLINE\",\"90909.09\"\r\n\"MSET (10 keys)\",\"50000.00\",\"0.9\"\r\n";

        List<BenchmarkRow> rows = BenchmarkCsv.parse(output);

        assertThat(rows).extracting(BenchmarkRow::test).containsExactly("PING_INLINE", "MSET (10 keys)");
        assertThat(rows.get(0).rps()).isEqualTo(90909.09);
        assertThat(rows.get(0).p99Ms()).isNaN();
        assertThat(rows.get(1).avgMs()).isEqualTo(0.9);
    }

    @Test
    void skipsWarningsBlankLinesAndRowsWithoutANumber() {
        String output = """
                WARNING: Could not fetch server CONFIG

                "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
                "SET","n/a","0.380","0.120","0.359","0.479","1.311","1.839"
                "GET","1000.5","0.380","0.120","0.359","0.479","1.311","1.839"
                """;

        assertThat(BenchmarkCsv.parse(output)).extracting(BenchmarkRow::test).containsExactly("GET");
    }

    @Test
    void quotedFieldsKeepCommasAndDoubledQuotes() {
        assertThat(BenchmarkCsv.splitFields("\"a,b\",\"say \"\"hi\"\"\",plain, spaced"))
                .containsExactly("a,b", "say \"hi\"", "plain", " spaced");
    }
}
