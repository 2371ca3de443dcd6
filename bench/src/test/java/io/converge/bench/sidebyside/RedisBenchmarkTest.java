package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void measuresOneTestAgainstARealServer() throws Exception {
        try (Cleanup cleanup = new Cleanup();
             RunningTarget redis = ProcessTarget.redisServer("redis", "redis-server").start(dir, Duration.ofSeconds(20), cleanup)) {
            RedisBenchmark benchmark = new RedisBenchmark("redis-benchmark", Duration.ofSeconds(60), dir, cleanup);

            BenchmarkOutcome outcome = benchmark.run(redis.clientPort(), new BenchmarkRun("incr", 5, 4, 4000, 1000));

            assertThat(outcome.error()).isNull();
            assertThat(outcome.rows()).singleElement().satisfies(row -> {
                assertThat(row.test()).isEqualTo("INCR");
                assertThat(row.rps()).isPositive();
            });
            // the counters really were incremented on that server: keys counter:<12 digits>
            try (RespConnection connection = redis.entryPoint().connect(Duration.ofSeconds(5))) {
                assertThat((Long) connection.call("DBSIZE")).isBetween(1L, 1000L);
            }
        }
    }

    @Test
    void passesTheRunParametersToRedisBenchmark() {
        RedisBenchmark benchmark = new RedisBenchmark("rb", Duration.ofSeconds(1), dir, new Cleanup());

        assertThat(benchmark.command(1234, new BenchmarkRun("hset", 50, 16, 1000000, 100000)))
                .containsExactly("rb", "-h", "127.0.0.1", "-p", "1234", "-c", "50", "-n", "1000000", "-P", "16",
                        "-r", "100000", "--csv", "-t", "hset");
    }

    @Test
    void theEvalshaTestLoadsItsScriptAndNamesItsRowAfterTheTest() throws Exception {
        ProcessTarget redis = new ProcessTarget("redis", CommandTemplate.ofShell(
                "redis-server --port {port} --save '' --appendonly no"), null);
        try (Cleanup cleanup = new Cleanup();
             RunningTarget server = redis.start(dir, Duration.ofSeconds(20), cleanup)) {
            RedisBenchmark benchmark = new RedisBenchmark("redis-benchmark", Duration.ofSeconds(60), dir, cleanup);

            BenchmarkOutcome outcome = benchmark.run(server.clientPort(), new BenchmarkRun("evalsha", 2, 1, 2000, 100));

            assertThat(outcome.isOk()).as(outcome.error()).isTrue();
            assertThat(outcome.rows()).extracting(BenchmarkRow::test).containsExactly("evalsha");
            assertThat(outcome.rows().get(0).rps()).isPositive();
        }
    }

    @Test
    void aCommandTheServerRejectsIsAFailedOutcomeWithTheServersError() throws Exception {
        ProcessTarget noZadd = new ProcessTarget("limited", CommandTemplate.ofShell(
                "redis-server --port {port} --save '' --appendonly no --rename-command ZADD ''"), null);
        try (Cleanup cleanup = new Cleanup();
             RunningTarget server = noZadd.start(dir, Duration.ofSeconds(20), cleanup)) {
            RedisBenchmark benchmark = new RedisBenchmark("redis-benchmark", Duration.ofSeconds(60), dir, cleanup);

            BenchmarkOutcome outcome = benchmark.run(server.clientPort(), new BenchmarkRun("zadd", 2, 1, 1000, 100));

            assertThat(outcome.isOk()).isFalse();
            assertThat(outcome.rows()).isEmpty();
            assertThat(outcome.error()).contains("unknown command").contains("ZADD");
        }
    }

    @Test
    void aServerThatIsNotThereTimesOutInsteadOfHanging() throws Exception {
        int nobodyListens = FreePorts.pick();
        RedisBenchmark benchmark = new RedisBenchmark("redis-benchmark", Duration.ofSeconds(2), dir, new Cleanup());

        long start = System.nanoTime();
        BenchmarkOutcome outcome = benchmark.run(nobodyListens, new BenchmarkRun("get", 1, 1, 100, 10));

        assertThat(outcome.isOk()).isFalse();
        assertThat(outcome.error()).contains("timed out after 2 s");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void hintPrefersTheServerErrorOverTheConfigWarning() {
        String stderr = "WARNING: Could not fetch server CONFIG\nError from server: ERR unknown command 'ZADD'\n";

        assertThat(RedisBenchmark.hint(stderr)).isEqualTo(": Error from server: ERR unknown command 'ZADD'");
        assertThat(RedisBenchmark.hint("WARNING: Could not fetch server CONFIG\n")).isEmpty();
        assertThat(RedisBenchmark.hint("Could not connect to Redis at 127.0.0.1:1: Connection refused"))
                .isEqualTo(": Could not connect to Redis at 127.0.0.1:1: Connection refused");
        assertThat(RedisBenchmark.hint("")).isEmpty();
    }
}
