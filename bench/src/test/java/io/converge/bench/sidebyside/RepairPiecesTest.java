package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The repair phase's values, key choice, rates and report, without servers. */
class RepairPiecesTest {

    @Test
    void valuesHaveTheAskedLengthAndDifferByRound() {
        assertThat(RepairRun.value(1, 42, 100)).hasSize(100).startsWith("r1:42:x");
        assertThat(RepairRun.value(2, 42, 100)).isNotEqualTo(RepairRun.value(1, 42, 100));
        assertThat(RepairRun.value(1, 123_456, 5)).isEqualTo("r1:123456:");
    }

    @Test
    void spreadKeysAreDistinctAndCoverTheKeyspace() {
        int[] keys = KeyCheck.spread(1_000, 1_000_000, 2);
        assertThat(Arrays.stream(keys).distinct().count()).isEqualTo(1_000);
        assertThat(keys[0]).isEqualTo(2);
        assertThat(keys[999]).isEqualTo(999_002);
        assertThat(KeyCheck.spread(50, 10, 0)).hasSize(10);
    }

    @Test
    void theCatchUpRateCountsFromWhenTheReplicaServed() {
        CatchUpRound healed = new CatchUpRound(1, 1_000_000, 111_000_000, 5, 1, -1, 300, 2_220, 90_000_000, 4_000, "ok", null);
        CatchUpRound restarted = new CatchUpRound(1, 1_000_000, 111_000_000, 0, 2, 3_000, 3_100, 5_220, 0, 6_000, "ok", null);
        assertThat(healed.megabytesPerSecond()).isEqualTo(50.0);
        assertThat(restarted.megabytesPerSecond()).isEqualTo(50.0);
        assertThat(CatchUpRound.failed(1, 10, 100, "boom").megabytesPerSecond()).isNaN();
    }

    @Test
    void theReportHasOneTablePerMeasurementWithVerdicts() {
        RepairPlan plan = RepairPlan.of(1_000_000, 100, 1_000, 2);
        RepairResults results = new RepairResults(plan, 3, "java -jar x.jar server", "0.5", "1.5",
                List.of(new CatchUpRound(1, 1_000_000, 111_000_000, 105_000, 1, -1, 400, 1_110, 120_000_000, 5_000, "ok: a", null),
                        new CatchUpRound(2, 1_000_000, 111_000_000, 105_000, 1, -1, 500, 4_440, 120_000_000, 9_000, "ok: b", null)),
                List.of(new DivergenceRound(1, 1_000_000, 1_000, 900, "ok: c", null),
                        DivergenceRound.failed(2, 1_000_000, 1_000, "not repaired within 600 s of CONVERGE REPAIR")),
                List.of(new CatchUpRound(1, 1_000_000, 111_000_000, 0, 2, 3_000, 3_200, 4_110, 0, 7_000, "ok: d", null)));

        String text = results.render();

        assertThat(text).contains("### Repair and catch-up").contains("#### A replica that missed 1,000,000 keys")
                .contains("#### 1,000 divergent keys among 1,000,000").contains("#### A replaced node holding 1,000,000 keys")
                .contains("| median |").contains("| worst  |").containsPattern("\\|\\s+7,000 ms \\|")
                .contains("**Target missed**: 62.5 MB/s (median); at least 50 MB/s in 1 of 2 rounds.")
                .contains("**Target missed**: repaired 900 ms after `CONVERGE REPAIR` (median; max 900 ms); "
                        + "within 5,000 ms in 1 of 2 rounds.")
                .contains("Target met: 100.0 MB/s (median); at least 50 MB/s in 1 of 1 rounds.");
        assertThat(text.lines().filter(l -> l.startsWith("| 1 ") || l.startsWith("| 2 ")))
                .allSatisfy(l -> assertThat(l.chars().filter(c -> c == '|').count()).isGreaterThan(4));
        assertThat(results.failures()).containsExactly(
                "divergent keys, round 2: not repaired within 600 s of CONVERGE REPAIR");
    }
}
