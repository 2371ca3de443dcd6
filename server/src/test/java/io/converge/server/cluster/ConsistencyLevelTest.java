package io.converge.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class ConsistencyLevelTest {

    /** Two DCs with RF 3 each; coordinator in dc1 (index 0). */
    private static final Ring RING = Ring.build(Specs.uniform(2, 3, 1, 3, 8));
    private static final Topology TOPOLOGY = RING.topology();
    private static final ReplicaSet REPLICAS = RING.replicasForToken(0);

    private static int dc1(int i) {
        return REPLICAS.nodeIn(0, i);
    }

    private static int dc2(int i) {
        return REPLICAS.nodeIn(1, i);
    }

    private static AckTracker track(ConsistencyLevel level) {
        return AckTracker.start(level, REPLICAS, TOPOLOGY, 0);
    }

    @Test
    void parsesNamesAndDynomiteAliasesCaseInsensitively() {
        assertThat(ConsistencyLevel.parse("one")).isEqualTo(ConsistencyLevel.ONE);
        assertThat(ConsistencyLevel.parse("Local_Quorum")).isEqualTo(ConsistencyLevel.LOCAL_QUORUM);
        assertThat(ConsistencyLevel.parse("EACH_QUORUM")).isEqualTo(ConsistencyLevel.EACH_QUORUM);
        assertThat(ConsistencyLevel.parse("all")).isEqualTo(ConsistencyLevel.ALL);
        assertThat(ConsistencyLevel.parse("dc_one")).isEqualTo(ConsistencyLevel.ONE);
        assertThat(ConsistencyLevel.parse("DC_QUORUM")).isEqualTo(ConsistencyLevel.LOCAL_QUORUM);
        assertThat(ConsistencyLevel.parse("dc_safe_quorum")).isEqualTo(ConsistencyLevel.LOCAL_QUORUM);
        assertThat(ConsistencyLevel.parse("DC_EACH_SAFE_QUORUM")).isEqualTo(ConsistencyLevel.EACH_QUORUM);
        assertThat(ConsistencyLevel.tryParse("quorum")).isNull();
        assertThatThrownBy(() -> ConsistencyLevel.parse("TWO"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown consistency level 'TWO' (expected one of " + ConsistencyLevel.ACCEPTED_NAMES + ")");
    }

    @Test
    void quorumIsAMajority() {
        assertThat(ConsistencyLevel.quorum(1)).isEqualTo(1);
        assertThat(ConsistencyLevel.quorum(2)).isEqualTo(2);
        assertThat(ConsistencyLevel.quorum(3)).isEqualTo(2);
        assertThat(ConsistencyLevel.quorum(4)).isEqualTo(3);
        assertThat(ConsistencyLevel.quorum(5)).isEqualTo(3);
    }

    @Test
    void blockForPerLevel() {
        assertThat(ConsistencyLevel.ONE.blockFor(REPLICAS, 0)).isEqualTo(1);
        assertThat(ConsistencyLevel.LOCAL_QUORUM.blockFor(REPLICAS, 0)).isEqualTo(2);
        assertThat(ConsistencyLevel.EACH_QUORUM.blockFor(REPLICAS, 0)).isEqualTo(4);
        assertThat(ConsistencyLevel.ALL.blockFor(REPLICAS, 0)).isEqualTo(6);
    }

    @Test
    void oneIsMetByAnyReplicaAnywhere() {
        AckTracker t = track(ConsistencyLevel.ONE);
        assertThat(t.isSatisfied()).isFalse();
        assertThat(t.ack(dc2(2))).isTrue();
    }

    @Test
    void localQuorumCountsOnlyTheCoordinatorsDatacenter() {
        AckTracker t = track(ConsistencyLevel.LOCAL_QUORUM);
        assertThat(t.ack(dc2(0))).isFalse();
        assertThat(t.ack(dc2(1))).isFalse();
        assertThat(t.ack(dc1(0))).isFalse();
        assertThat(t.ack(dc1(0))).as("a duplicate ack does not count twice").isFalse();
        assertThat(t.ack(999)).as("a non-replica does not count").isFalse();
        assertThat(t.ack(dc1(2))).isTrue();
        assertThat(t.ackCount()).isEqualTo(4);
    }

    @Test
    void eachQuorumNeedsAMajorityEverywhere() {
        AckTracker t = track(ConsistencyLevel.EACH_QUORUM);
        t.ack(dc1(0));
        t.ack(dc1(1));
        t.ack(dc1(2));
        t.ack(dc2(0));
        assertThat(t.isSatisfied()).isFalse();
        assertThat(t.describeShortfall()).isEqualTo("EACH_QUORUM needs 2 acks in dc1, got 3 of 3 replicas; "
                + "2 acks in dc2, got 1 of 3 replicas (acked by: " + List.of(dc1(0), dc1(1), dc1(2), dc2(0)) + ")");
        assertThat(t.ack(dc2(2))).isTrue();
    }

    @Test
    void allNeedsEveryReplica() {
        AckTracker t = track(ConsistencyLevel.ALL);
        for (int i = 0; i < 3; i++) {
            t.ack(dc1(i));
        }
        t.ack(dc2(0));
        t.ack(dc2(1));
        assertThat(t.isSatisfied()).isFalse();
        assertThat(t.ack(dc2(2))).isTrue();
    }

    @Test
    void failuresTellWhenTheLevelBecameImpossible() {
        AckTracker t = track(ConsistencyLevel.LOCAL_QUORUM);
        assertThat(t.fail(dc2(0))).as("remote failures do not matter to LOCAL_QUORUM").isTrue();
        assertThat(t.fail(dc1(0))).isTrue();
        assertThat(t.fail(dc1(1))).isFalse();
        assertThat(t.isPossible()).isFalse();
        assertThat(t.describeShortfall()).isEqualTo("LOCAL_QUORUM needs 2 acks in dc1, got 0 of 3 replicas (acked by: [])");
        assertThat(t.ack(dc1(1))).as("a late ack revives the failed replica").isFalse();
        assertThat(t.isPossible()).isTrue();
        assertThat(t.ack(dc1(2))).isTrue();
    }

    @Property(tries = 200)
    void satisfiedExactlyWhenTheDefinitionSaysSo(@ForAll ConsistencyLevel level, @ForAll long seed) {
        Random random = new Random(seed);
        int coordinatorDc = random.nextInt(2);
        AckTracker t = AckTracker.start(level, REPLICAS, TOPOLOGY, coordinatorDc);
        List<Integer> acked = new ArrayList<>();
        for (int step = 0; step < 10; step++) {
            int node = random.nextInt(10) == 0 ? 1000 : REPLICAS.node(random.nextInt(REPLICAS.size()));
            boolean satisfied = t.ack(node);
            if (REPLICAS.contains(node) && !acked.contains(node)) {
                acked.add(node);
            }
            int[] perDc = new int[2];
            for (int n : acked) {
                perDc[TOPOLOGY.datacenterOf(n)]++;
            }
            boolean expected = switch (level) {
                case ONE -> !acked.isEmpty();
                case LOCAL_QUORUM -> perDc[coordinatorDc] >= 2;
                case EACH_QUORUM -> perDc[0] >= 2 && perDc[1] >= 2;
                case ALL -> acked.size() == 6;
            };
            assertThat(satisfied).isEqualTo(expected);
            assertThat(t.ackedNodes()).containsExactlyInAnyOrderElementsOf(acked);
        }
    }
}
