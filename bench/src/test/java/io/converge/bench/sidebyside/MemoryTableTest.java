package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class MemoryTableTest {
    private static final long MIB = 1024 * 1024;
    private static final List<TargetSpec> TARGETS = List.of(
            ProcessTarget.redisServer("redis", "redis-server"),
            new ProcessTarget("converge", CommandTemplate.ofShell("node --port {port}"), PerformanceGoal.SINGLE_NODE));

    private static MemorySample sample(Long used, long rss) {
        return new MemorySample(used == null ? OptionalLong.empty() : OptionalLong.of(used), OptionalLong.of(rss));
    }

    private static MemoryResult result(String target, Long usedEmpty, Long usedLoaded, long rssEmpty, long rssLoaded,
                                       List<String> notes) {
        return new MemoryResult(target, 1_000_000, sample(usedEmpty, rssEmpty), sample(usedLoaded, rssLoaded),
                OptionalLong.of(1_000_000), Duration.ofMillis(1500), notes, null);
    }

    @Test
    void reportsBytesPerKeyAndRatios() {
        MemoryResult redis = result("redis", 1 * MIB, 81 * MIB, 10 * MIB, 100 * MIB, List.of());
        MemoryResult converge = result("converge", 11 * MIB, 171 * MIB, 60 * MIB, 400 * MIB, List.of());

        String table = MemoryTable.render(List.of(redis, converge), TARGETS);

        assertThat(redis.perKey(MemorySample::usedMemory)).isEqualTo(80.0 * MIB / 1_000_000);
        assertThat(table).contains("| used_memory, 1,000,000 keys")
                .containsPattern("\\| used_memory, 1,000,000 keys +\\| +81\\.0 MiB \\| +171\\.0 MiB \\| +2\\.11x \\|")
                .containsPattern("\\| used_memory per key \\(loaded - empty\\) / keys +\\| +83\\.9 B \\| +167\\.8 B \\| +2\\.00x \\|")
                .containsPattern("\\| RSS, 1,000,000 keys +\\| +100\\.0 MiB \\| +400\\.0 MiB \\| +4\\.00x \\|")
                .containsPattern("\\| DBSIZE after loading +\\| +1,000,000 \\| +1,000,000 \\|")
                .contains("converge used_memory with 1,000,000 keys is 2.11x redis's (target <= 2.5x): ok");
    }

    @Test
    void flagsAMissedMemoryTarget() {
        MemoryResult redis = result("redis", MIB, 80 * MIB, 10 * MIB, 100 * MIB, List.of());
        MemoryResult converge = result("converge", MIB, 240 * MIB, 10 * MIB, 300 * MIB, List.of());

        assertThat(MemoryTable.verdict(redis, converge, PerformanceGoal.SINGLE_NODE))
                .isEqualTo("converge used_memory with 1,000,000 keys is 3.00x redis's (target <= 2.5x): **misses the target**");
    }

    @Test
    void withoutUsedMemoryItComparesRssOnlyAndSaysSo() {
        MemoryResult redis = result("redis", MIB, 80 * MIB, 10 * MIB, 100 * MIB, List.of());
        MemoryResult converge = result("converge", null, null, 50 * MIB, 250 * MIB,
                List.of("converge: INFO memory reports no used_memory; compare RSS only"));

        String table = MemoryTable.render(List.of(redis, converge), TARGETS);

        assertThat(table).containsPattern("\\| used_memory, 1,000,000 keys +\\| +80\\.0 MiB \\| +n/a \\| +n/a \\|")
                .contains("converge used_memory is not available, so the memory target (target <= 2.5x) cannot be "
                        + "checked; its RSS with 1,000,000 keys is 2.50x redis's RSS.")
                .contains("- converge: INFO memory reports no used_memory; compare RSS only");
    }

    @Test
    void aFailedLoadIsListedWithItsReason() {
        MemoryResult redis = result("redis", MIB, 80 * MIB, 10 * MIB, 100 * MIB, List.of());
        MemoryResult converge = new MemoryResult("converge", 1_000_000, sample(MIB, 10 * MIB), null,
                OptionalLong.empty(), Duration.ofSeconds(1), List.of(), "loading stopped after 3 SETs: SET answered -ERR x");

        String table = MemoryTable.render(List.of(redis, converge), TARGETS);

        assertThat(table).contains("- converge: loading stopped after 3 SETs: SET answered -ERR x")
                .contains("converge: no memory comparison");
    }
}
