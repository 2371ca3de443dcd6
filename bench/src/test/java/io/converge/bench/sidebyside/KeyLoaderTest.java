package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyLoaderTest {
    @TempDir
    Path logs;

    @Test
    void keysAreZeroPaddedToSevenDigitsOrMore() {
        assertThat(KeyLoader.keyName(0, 1_000_000)).isEqualTo("key:0000000");
        assertThat(KeyLoader.keyName(999_999, 1_000_000)).isEqualTo("key:0999999");
        assertThat(KeyLoader.keyName(42, 100)).isEqualTo("key:0000042");
        assertThat(KeyLoader.keyName(12_345_678, 20_000_000)).isEqualTo("key:12345678");
        assertThat(KeyLoader.value(0)).isEqualTo("val0");
        assertThat(KeyLoader.value(999_999)).hasSize(9);
    }

    @Test
    void loadsEveryKeyWithItsValue() throws Exception {
        try (Cleanup cleanup = new Cleanup();
             RunningTarget redis = ProcessTarget.redisServer("redis", "redis-server").start(logs, Duration.ofSeconds(20), cleanup)) {
            KeyLoader.LoadResult result = KeyLoader.load(redis.entryPoint(), 50_000);

            assertThat(result.isOk()).as(result.firstError()).isTrue();
            assertThat(result.sent()).isEqualTo(50_000);
            assertThat(result.errors()).isZero();
            try (RespConnection connection = redis.entryPoint().connect(Duration.ofSeconds(5))) {
                assertThat(connection.call("DBSIZE")).isEqualTo(50_000L);
                assertThat(connection.call("GET", "key:0000000")).isEqualTo("val0");
                assertThat(connection.call("GET", "key:0012345")).isEqualTo("val12345");
                assertThat(connection.call("GET", "key:0049999")).isEqualTo("val49999");
                assertThat(connection.call("GET", "key:0050000")).isNull();
            }
        }
    }

    @Test
    void loadingStopsAtTheFirstErrorReplyAndKeepsIt() throws Exception {
        ProcessTarget noSet = new ProcessTarget("no-set", CommandTemplate.ofShell(
                "redis-server --port {port} --save '' --appendonly no --rename-command SET ''"), null);
        try (Cleanup cleanup = new Cleanup();
             RunningTarget server = noSet.start(logs, Duration.ofSeconds(20), cleanup)) {
            KeyLoader.LoadResult result = KeyLoader.load(server.entryPoint(), 100_000);

            assertThat(result.isOk()).isFalse();
            assertThat(result.errors()).isBetween(1, 100_000);
            assertThat(result.sent()).isBetween(result.errors(), 100_000);
            assertThat(result.firstError()).startsWith("SET answered -ERR unknown command");
            assertThat(result.elapsed()).isLessThan(Duration.ofSeconds(10));
        }
    }
}
