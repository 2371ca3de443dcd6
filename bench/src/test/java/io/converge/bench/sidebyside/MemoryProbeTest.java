package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemoryProbeTest {
    @TempDir
    Path logs;

    @Test
    void readsUsedMemoryAndDbSizeFromARealServer() throws Exception {
        try (Cleanup cleanup = new Cleanup();
             RunningTarget redis = ProcessTarget.redisServer("redis", "redis-server").start(logs, Duration.ofSeconds(20), cleanup)) {
            long empty = MemoryProbe.usedMemory(redis.entryPoint()).orElseThrow();
            KeyLoader.load(redis.entryPoint(), 20_000);
            long loaded = MemoryProbe.usedMemory(redis.entryPoint()).orElseThrow();

            assertThat(empty).isPositive();
            assertThat(loaded - empty).as("20k keys take some memory").isGreaterThan(20_000L * 16);
            assertThat(MemoryProbe.dbSize(redis.entryPoint())).hasValue(20_000);
            assertThat(MemoryProbe.isJvm(redis.entryPoint().pid())).isFalse();
        }
    }

    @Test
    void aServerWithoutInfoGivesNoUsedMemory() throws Exception {
        ProcessTarget noInfo = new ProcessTarget("no-info", CommandTemplate.ofShell(
                "redis-server --port {port} --save '' --appendonly no --rename-command INFO ''"), null);
        try (Cleanup cleanup = new Cleanup(); RunningTarget server = noInfo.start(logs, Duration.ofSeconds(20), cleanup)) {
            assertThat(MemoryProbe.usedMemory(server.entryPoint())).isEmpty();
        }
    }

    @Test
    void infoFieldsAreMatchedByExactName() {
        String info = "# Memory\r\nused_memory_human:1.90M\r\nused_memory:1990136\r\nused_memory_rss:14381056\r\n";

        assertThat(MemoryProbe.infoField(info, "used_memory")).hasValue(1990136);
        assertThat(MemoryProbe.infoField(info, "used_memory_rss")).hasValue(14381056);
        assertThat(MemoryProbe.infoField(info, "maxmemory")).isEqualTo(OptionalLong.empty());
    }

    @Test
    void forcesAGcInAJvmThroughJcmd() {
        long self = ProcessHandle.current().pid();

        assertThat(MemoryProbe.isJvm(self)).isTrue();
        assertThat(MemoryProbe.forceGc(self)).isNull();
        assertThat(MemoryProbe.residentBytes(self).orElseThrow()).isGreaterThan(1024 * 1024);
    }
}
