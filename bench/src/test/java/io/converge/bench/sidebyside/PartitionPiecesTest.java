package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The partition phase's workload, INFO parsing and summary, without servers. */
class PartitionPiecesTest {

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }

    @Test
    void theWorkloadWritesEveryKeyAsPlannedAndCountersSumExactly() {
        DivergentWorkload w = new DivergentWorkload(2, 2_001, 0);
        assertThat(w.keys()).isEqualTo(2_001);
        assertThat(w.count(DivergentWorkload.Kind.CONFLICT)).isEqualTo(200);
        assertThat(w.count(DivergentWorkload.Kind.COUNTER)).isEqualTo(200);
        assertThat(w.count(DivergentWorkload.Kind.ONLY_SIDE_0) + w.count(DivergentWorkload.Kind.ONLY_SIDE_1))
                .isEqualTo(1_601);

        Map<String, Long> counters = new HashMap<>();
        Set<String> conflictValues = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (int side = 0; side < 2; side++) {
            assertThat(w.operations(side)).isEqualTo(w.count(side == 0 ? DivergentWorkload.Kind.ONLY_SIDE_0
                    : DivergentWorkload.Kind.ONLY_SIDE_1) + 200 + 2 * 200);
            for (int n = 0; n < w.operations(side); n++) {
                byte[][] command = w.command(side, n);
                String key = text(command[1]);
                assertThat(key).startsWith("p2:");
                keys.add(key);
                if (text(command[0]).equals("INCRBY")) {
                    counters.merge(key, Long.parseLong(text(command[2])), Long::sum);
                    assertThat(w.isSuccess(side, n, 5L)).isTrue();
                    assertThat(w.isSuccess(side, n, "OK")).isFalse();
                } else if (key.startsWith("p2:c:")) {
                    conflictValues.add(key + "=" + text(command[2]));
                } else {
                    assertThat(text(command[2])).isEqualTo(w.oneSidedValue(side == 0 ? DivergentWorkload.Kind.ONLY_SIDE_0
                            : DivergentWorkload.Kind.ONLY_SIDE_1, Integer.parseInt(key.substring(5))));
                    assertThat(w.isSuccess(side, n, "OK")).isTrue();
                }
            }
        }
        assertThat(keys).hasSize(2_001);
        assertThat(conflictValues).as("two different values per conflict key").hasSize(400);
        assertThat(counters).hasSize(200);
        counters.forEach((key, sum) -> assertThat(sum).isEqualTo(w.counterSum(Integer.parseInt(key.substring(5)))));
        // Commands are shuffled: the first ones are not all of one kind.
        Set<String> firstKinds = new HashSet<>();
        for (int n = 0; n < 50; n++) {
            firstKinds.add(text(w.command(0, n)[1]).substring(3, 4));
        }
        assertThat(firstKinds).containsExactlyInAnyOrder("a", "c", "n");
    }

    @Test
    void valuesArePaddedToTheAskedLength() {
        DivergentWorkload w = new DivergentWorkload(1, 100, 1_000);
        assertThat(w.oneSidedValue(DivergentWorkload.Kind.ONLY_SIDE_0, 7)).hasSize(1_000).startsWith("a7-r1.");
        assertThat(w.conflictValue(1, 3)).hasSize(1_000).startsWith("isolated-3-r1.");
        assertThat(new DivergentWorkload(1, 100, 0).oneSidedValue(DivergentWorkload.Kind.ONLY_SIDE_1, 7))
                .isEqualTo("b7-r1");
    }

    @Test
    void aClusterOwingARepairHasNotConverged() {
        ClusterProbe.NodeView quiet = new ClusterProbe.NodeView(2, 0, 100, 0, true, 0, 0);
        ClusterProbe.NodeView owing = new ClusterProbe.NodeView(2, 0, 100, 1, true, 0, 0);
        ClusterProbe.NodeView syncing = new ClusterProbe.NodeView(2, 0, 100, 0, false, 1, 0);
        assertThat(new ClusterProbe.ClusterView(List.of(quiet, quiet, quiet)).settled()).isTrue();
        assertThat(new ClusterProbe.ClusterView(List.of(quiet, owing, quiet)).converged()).isFalse();
        assertThat(new ClusterProbe.ClusterView(List.of(quiet, quiet, syncing)).converged()).isTrue();
        assertThat(new ClusterProbe.ClusterView(List.of(quiet, quiet, syncing)).settled()).isFalse();
    }

    @Test
    void infoFieldsAreReadByName() throws IOException {
        String info = "# Replication\r\nrole:master\r\nconnected_peers:2\r\npeer2:dc=dc1,pending_deltas=7\r\n"
                + "pending_deltas:12\r\n";
        assertThat(ClusterProbe.field(info, "connected_peers")).isEqualTo(2);
        assertThat(ClusterProbe.field(info, "pending_deltas")).isEqualTo(12);
        assertThat(ClusterProbe.text(info, "role")).isEqualTo("master");
        assertThatThrownBy(() -> ClusterProbe.field("role:master\r\n", "pending_deltas")).isInstanceOf(IOException.class)
                .hasMessageContaining("is this a Converge cluster node?");
    }

    @Test
    void theSummaryGivesMedianAndMaximumAndTheVerdict() {
        ConvergenceVerifier.Verification ok = new ConvergenceVerifier.Verification(100, 3, 0, List.of(), 40, 60, null);
        ConvergenceVerifier.Verification bad = new ConvergenceVerifier.Verification(100, 3, 2,
                List.of("p1:a:1 is null on node 1 but a1-r1 on node 2"), 0, 0, null);
        PartitionPlan plan = PartitionPlan.of(Duration.ofSeconds(10), 100, 0, 3);
        PartitionResults met = new PartitionResults(plan, 3, "cmd", "0.5", "1.5", List.of(
                new PartitionRound(1, 100, 70, 70, null, 210, 0, 300, 400, 9, ok, null),
                new PartitionRound(2, 100, 70, 70, null, 210, 0, 100, 900, 9, ok, null),
                new PartitionRound(3, 100, 70, 70, null, 210, 0, 200, 500, 9, ok, null)));
        PartitionResults missed = new PartitionResults(plan, 3, "cmd", "0.5", "1.5", List.of(
                new PartitionRound(1, 100, 70, 70, null, 210, 0, 300, 1_400, 9, ok, null),
                new PartitionRound(2, 100, 70, 70, null, 210, 0, 100, 600, 9, bad, null),
                PartitionRound.failed(3, 100, "timed out after 10 s waiting for the cut to take effect")));

        assertThat(met.median(PartitionRound::convergeMillis)).hasValue(500);
        assertThat(met.max(PartitionRound::convergeMillis)).hasValue(900);
        assertThat(met.median(PartitionRound::reconnectMillis)).hasValue(200);
        assertThat(met.failures()).isEmpty();
        assertThat(met.render()).contains("| median |").contains("Target met: converged 500 ms after the heal "
                + "(median; max 900 ms); under 1,000 ms in 3 of 3 rounds.")
                .contains("- Load average (1 min): 0.5 before this phase, 1.5 after it");

        assertThat(missed.median(PartitionRound::convergeMillis)).hasValue(1_000);
        assertThat(missed.failures()).containsExactly(
                "partition round 2: **2 of 100 keys differ**: p1:a:1 is null on node 1 but a1-r1 on node 2",
                "partition round 3: timed out after 10 s waiting for the cut to take effect");
        assertThat(missed.render()).contains("**Target missed**").contains("under 1,000 ms in 0 of 3 rounds")
                .containsPattern("\\|\\s+never \\|");
    }
}
