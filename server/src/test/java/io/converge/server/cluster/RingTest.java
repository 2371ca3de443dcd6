package io.converge.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class RingTest {

    private static byte[] key(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void everyNodeComputesTheSameRing() {
        ClusterSpec spec = Specs.uniform(2, 3, 2, 3, 64);
        Ring a = Ring.build(spec);
        // Same description with nodes listed in another order.
        List<NodeSpec> reversed = new ArrayList<>(spec.nodes());
        java.util.Collections.reverse(reversed);
        Ring b = Ring.build(new ClusterSpec(spec.name(), spec.secret(), spec.virtualNodes(), spec.replication(),
                reversed));
        assertThat(b.rangeCount()).isEqualTo(a.rangeCount()).isEqualTo(12 * 64);
        for (int i = 0; i < a.rangeCount(); i++) {
            assertThat(b.rangeEnd(i)).isEqualTo(a.rangeEnd(i));
            assertThat(b.tokenOwner(i)).isEqualTo(a.tokenOwner(i));
            assertThat(b.replicasOfRange(i).nodeIds()).isEqualTo(a.replicasOfRange(i).nodeIds());
        }
    }

    @Test
    void lookupFindsTheFirstTokenAtOrAfterTheKeyToken() {
        Ring ring = Ring.build(Specs.uniform(1, 3, 2, 3, 16));
        Random random = new Random(1);
        for (int n = 0; n < 2000; n++) {
            long token = random.nextLong();
            int expected = 0;
            for (int i = 0; i < ring.rangeCount(); i++) {
                if (ring.rangeEnd(i) >= token) {
                    expected = i;
                    break;
                }
            }
            assertThat(ring.rangeIndexOf(token)).isEqualTo(expected);
        }
        assertThat(ring.rangeIndexOf(ring.rangeEnd(5))).as("a token ends its own range").isEqualTo(5);
        assertThat(ring.rangeIndexOf(Long.MAX_VALUE)).as("wraps past the last token").isZero();
        assertThat(ring.rangeIndexOf(Long.MIN_VALUE)).isZero();
    }

    @Test
    void ownershipIsBalancedWith256VnodesOn9Nodes() {
        Ring ring = Ring.build(Specs.uniform(1, 3, 3, 3, 256));
        double fair = 1.0 / 9;
        double total = 0;
        for (int id = 1; id <= 9; id++) {
            double primary = ring.primaryOwnership(id);
            total += primary;
            assertThat(primary).as("primary share of node %d", id).isBetween(fair * 0.8, fair * 1.2);
            assertThat(ring.replicaOwnership(id)).as("replica share of node %d", id)
                    .isBetween(3 * fair * 0.8, 3 * fair * 1.2);
        }
        assertThat(total).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void keysSpreadEvenlyOverNodes() {
        Ring ring = Ring.build(Specs.uniform(1, 3, 3, 3, 256));
        Map<Integer, Integer> primaries = new LinkedHashMap<>();
        int keys = 90_000;
        for (int i = 0; i < keys; i++) {
            int primary = ring.replicasFor(key("user:" + i)).node(0);
            primaries.merge(primary, 1, Integer::sum);
        }
        assertThat(primaries).hasSize(9);
        primaries.values().forEach(c -> assertThat(c).isBetween(keys / 9 * 8 / 10, keys / 9 * 12 / 10));
    }

    @Test
    void addingANodeMovesOnlySmallSlicesAndOnlyToIt() {
        ClusterSpec nine = Specs.uniform(1, 3, 3, 3, 256);
        Ring before = Ring.build(nine);
        Ring after = Ring.build(Specs.plus(nine, new NodeSpec(10, "10.0.1.10", 6379, 16379, "dc1", "rack1")));
        int keys = 50_000;
        int movedPrimary = 0;
        int changedSets = 0;
        for (int i = 0; i < keys; i++) {
            byte[] k = key("k" + i);
            ReplicaSet b = before.replicasFor(k);
            ReplicaSet a = after.replicasFor(k);
            if (a.node(0) != b.node(0)) {
                movedPrimary++;
                assertThat(a.node(0)).as("a moved key moves to the new node").isEqualTo(10);
            }
            if (!java.util.Arrays.equals(a.nodeIds(), b.nodeIds())) {
                changedSets++;
                assertThat(a.contains(10)).as("a changed replica set includes the new node").isTrue();
            }
        }
        double movedShare = (double) movedPrimary / keys;
        assertThat(movedShare).as("share of keys whose primary moved").isBetween(0.07, 0.13);
        assertThat((double) changedSets / keys).as("share of keys whose replicas changed").isLessThan(0.45);
    }

    @Test
    void placesReplicasOnDistinctRacksFirst() {
        // dc1: racks a (nodes 1,2,3), b (node 4), c (node 5); rf 3 -> always one replica per rack.
        List<NodeSpec> nodes = List.of(
                new NodeSpec(1, "h1", 1, 2, "dc1", "a"), new NodeSpec(2, "h2", 1, 2, "dc1", "a"),
                new NodeSpec(3, "h3", 1, 2, "dc1", "a"), new NodeSpec(4, "h4", 1, 2, "dc1", "b"),
                new NodeSpec(5, "h5", 1, 2, "dc1", "c"));
        Ring ring = Ring.build(new ClusterSpec("t", "s", 32, Map.of("dc1", 3), nodes));
        Topology topology = ring.topology();
        for (int i = 0; i < ring.rangeCount(); i++) {
            ReplicaSet set = ring.replicasOfRange(i);
            Set<Integer> racks = new HashSet<>();
            for (int r = 0; r < set.size(); r++) {
                racks.add(topology.rackOf(set.node(r)));
            }
            assertThat(racks).hasSize(3);
            assertThat(set.contains(4) && set.contains(5)).isTrue();
        }
    }

    @Test
    void dynomiteLayoutEachRackHoldsAFullCopy() {
        // RF = number of racks: every key has exactly one replica per rack.
        Ring ring = Ring.build(Specs.uniform(1, 3, 4, 3, 64));
        for (int i = 0; i < 5000; i++) {
            ReplicaSet set = ring.replicasFor(key("key-" + i));
            Set<Integer> racks = new HashSet<>();
            for (int r = 0; r < set.size(); r++) {
                racks.add(ring.topology().rackOf(set.node(r)));
            }
            assertThat(racks).containsExactlyInAnyOrder(0, 1, 2);
        }
    }

    @Test
    void hashTaggedKeysShareAReplicaSet() {
        Ring ring = Ring.build(Specs.uniform(1, 3, 3, 3, 256));
        assertThat(ring.sameReplicaSet(key("{user:1}:name"), key("{user:1}:email"))).isTrue();
        assertThat(ring.replicasFor(key("{user:1}:name"))).isSameAs(ring.replicasFor(key("user:1")));
        int differ = 0;
        for (int i = 0; i < 200; i++) {
            if (!ring.sameReplicaSet(key("a" + i), key("b" + i))) {
                differ++;
            }
        }
        assertThat(differ).as("untagged keys usually land on different replica sets").isGreaterThan(100);
    }

    @Test
    void keysOnTheSameNodesInAnotherOrderShareAGroup() {
        Ring ring = Ring.build(Specs.uniform(1, 3, 1, 3, 256)); // 3 nodes, replication factor 3
        Set<String> orders = new HashSet<>();
        ReplicaSet first = ring.replicasFor(key("k0"));
        for (int i = 0; i < 500; i++) {
            ReplicaSet set = ring.replicasFor(key("k" + i));
            orders.add(java.util.Arrays.toString(set.nodeIds()));
            assertThat(ring.sameReplicaSet(key("k0"), key("k" + i))).isTrue();
            assertThat(set.groupId()).isEqualTo(first.groupId());
            for (int r = 0; r < 3; r++) {
                assertThat(set.sortedNodeIn(0, r)).isEqualTo(r + 1);
            }
        }
        assertThat(orders).as("the ring walk orders the same three nodes differently").hasSizeGreaterThan(1);
    }

    @Test
    void replicaSetsAreInterned() {
        Ring ring = Ring.build(Specs.uniform(1, 3, 3, 3, 256));
        Set<String> distinct = new HashSet<>();
        for (int i = 0; i < ring.rangeCount(); i++) {
            distinct.add(java.util.Arrays.toString(ring.replicasOfRange(i).nodeIds()));
            assertThat(ring.replicaSet(ring.replicasOfRange(i).id())).isSameAs(ring.replicasOfRange(i));
        }
        assertThat(ring.replicaSetCount()).isEqualTo(distinct.size());
    }

    @Test
    void singleNodeClusterOwnsEverything() {
        Ring ring = Ring.build(ClusterSpec.parse("""
                name: solo
                secret: s
                virtual_nodes: 1
                replication: {dc1: 1}
                nodes: [{id: 5, host: h, client_port: 1, peer_port: 2}]
                """));
        assertThat(ring.replicasFor(key("anything")).nodeIds()).containsExactly(5);
        assertThat(ring.primaryOwnership(5)).isEqualTo(1.0);
    }

    @Property(tries = 60)
    void placementInvariantsHoldForAnyTopology(@ForAll @IntRange(min = 1, max = 3) int dcs,
                                               @ForAll("seeds") long seed) {
        Random random = new Random(seed);
        List<NodeSpec> nodes = new ArrayList<>();
        Map<String, Integer> replication = new LinkedHashMap<>();
        int id = 1;
        for (int d = 0; d < dcs; d++) {
            int racks = 1 + random.nextInt(4);
            int inDc = 0;
            for (int r = 0; r < racks; r++) {
                int perRack = 1 + random.nextInt(3);
                for (int n = 0; n < perRack; n++) {
                    nodes.add(new NodeSpec(id++, "n" + id, 1, 2, "dc" + d, "r" + r));
                    inDc++;
                }
            }
            replication.put("dc" + d, 1 + random.nextInt(Math.min(inDc, 5)));
        }
        Ring ring = Ring.build(new ClusterSpec("p", "s", 1 + random.nextInt(32), replication, nodes));
        Topology topology = ring.topology();
        for (int k = 0; k < 300; k++) {
            ReplicaSet set = ring.replicasForToken(random.nextLong());
            assertThat(set.size()).isEqualTo(topology.totalReplicationFactor());
            Set<Integer> all = new HashSet<>();
            for (int dc = 0; dc < topology.datacenterCount(); dc++) {
                int rf = topology.replicationFactor(dc);
                assertThat(set.sizeIn(dc)).isEqualTo(rf);
                Set<Integer> racks = new HashSet<>();
                for (int i = 0; i < rf; i++) {
                    int node = set.nodeIn(dc, i);
                    assertThat(topology.datacenterOf(node)).isEqualTo(dc);
                    assertThat(all.add(node)).as("replicas are distinct nodes").isTrue();
                    racks.add(topology.rackOf(node));
                }
                assertThat(racks).as("distinct racks as long as racks remain")
                        .hasSize(Math.min(rf, topology.rackCount(dc)));
            }
        }
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<Long> seeds() {
        return net.jqwik.api.Arbitraries.longs();
    }
}
