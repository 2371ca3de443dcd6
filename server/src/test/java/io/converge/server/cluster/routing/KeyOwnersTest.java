package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The owners of a cluster-wide keyspace request: chosen among complete replicas first, one per key,
 * sent as they were chosen, and a malformed list refused.
 */
class KeyOwnersTest {
    private static final Ring RING = Ring.build(spec());

    private static ClusterSpec spec() {
        List<NodeSpec> nodes = new ArrayList<>();
        for (int id = 1; id <= 5; id++) {
            nodes.add(new NodeSpec(id, "10.0.0." + id, 6379, 16379, "dc1", "rack" + id));
        }
        return new ClusterSpec("owners", "secret", 16, Map.of("dc1", 3), nodes).validate();
    }

    private static BitSet allSetsOf(int node) {
        return KeyOwners.completeSetsOf(RING, node, set -> true);
    }

    @Test
    void aCompleteReplicaOwnsBeforeOneStillCatchingUp() {
        Map<Integer, BitSet> complete = new HashMap<>();
        for (int id = 1; id <= 5; id++) {
            complete.put(id, id == 2 ? new BitSet() : allSetsOf(id)); // node 2 restarted: complete nowhere yet
        }
        KeyOwners owners = KeyOwners.choose(RING, complete);
        assertThat(owners.uncovered()).isFalse();
        assertThat(owners.owns(2)).isFalse();
        for (int i = 0; i < 2_000; i++) {
            byte[] key = ("key:" + i).getBytes(StandardCharsets.UTF_8);
            ReplicaSet set = RING.replicasFor(key);
            int first = set.node(0) != 2 ? set.node(0) : set.node(1);
            assertThat(owners.ownerOf(key)).as("owner of %s", "key:" + i).isEqualTo(first);
        }
    }

    @Test
    void withoutACompleteReplicaTheFirstOneTakingPartOwns() {
        Map<Integer, BitSet> complete = new HashMap<>();
        complete.put(1, new BitSet());
        complete.put(3, allSetsOf(3));
        complete.put(4, new BitSet());
        KeyOwners owners = KeyOwners.choose(RING, complete);
        for (int id = 0; id < RING.replicaSetCount(); id++) {
            ReplicaSet set = RING.replicaSet(id);
            int expected = -1;
            for (int i = 0; i < set.size() && expected < 0; i++) {
                if (set.node(i) == 3) {
                    expected = 3;
                }
            }
            for (int i = 0; i < set.size() && expected < 0; i++) {
                if (complete.containsKey(set.node(i))) {
                    expected = set.node(i);
                }
            }
            byte[] encoded = encode(owners);
            int owner = Short.toUnsignedInt(ByteBuffer.wrap(encoded).getShort(4 + 2 * id));
            assertThat(owner == 0xFFFF ? -1 : owner).as("owner of set %d %s", id, set).isEqualTo(expected);
        }
        assertThat(owners.uncovered()).as("some keys have only nodes 2 and 5 as replicas").isEqualTo(
                hasSetWithout(1, 3, 4));
    }

    private static boolean hasSetWithout(int... nodes) {
        for (int id = 0; id < RING.replicaSetCount(); id++) {
            ReplicaSet set = RING.replicaSet(id);
            boolean any = false;
            for (int n : nodes) {
                any |= set.contains(n);
            }
            if (!any) {
                return true;
            }
        }
        return false;
    }

    private static byte[] encode(KeyOwners owners) {
        ByteBuffer out = ByteBuffer.allocate(owners.encodedSize());
        owners.encode(out);
        assertThat(out.hasRemaining()).isFalse();
        return out.array();
    }

    @Test
    void everyNodeAppliesTheOwnersTheCoordinatorSent() {
        Map<Integer, BitSet> complete = new HashMap<>();
        for (int id : new int[] {1, 3, 4, 5}) {
            complete.put(id, id == 4 ? new BitSet() : allSetsOf(id));
        }
        KeyOwners chosen = KeyOwners.choose(RING, complete);
        KeyOwners received = KeyOwners.decode(RING, ByteBuffer.wrap(encode(chosen)));
        assertThat(received.owners()).isEqualTo(chosen.owners());
        for (int i = 0; i < 1_000; i++) {
            byte[] key = ("k" + i).getBytes(StandardCharsets.UTF_8);
            assertThat(received.ownerOf(key)).isEqualTo(chosen.ownerOf(key));
        }
    }

    @Test
    void aMalformedListOfOwnersIsRefused() {
        ByteBuffer wrongCount = ByteBuffer.allocate(4 + 2).putInt(1).putShort((short) 1).flip();
        assertThatThrownBy(() -> KeyOwners.decode(RING, wrongCount)).isInstanceOf(IllegalArgumentException.class);
        int sets = RING.replicaSetCount();
        ByteBuffer notAReplica = ByteBuffer.allocate(4 + 2 * sets).putInt(sets);
        ReplicaSet first = RING.replicaSet(0);
        int outsider = 1;
        while (first.contains(outsider)) {
            outsider++;
        }
        for (int id = 0; id < sets; id++) {
            notAReplica.putShort((short) (id == 0 ? outsider : RING.replicaSet(id).node(0)));
        }
        assertThatThrownBy(() -> KeyOwners.decode(RING, notAReplica.flip()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no replica");
        ByteBuffer huge = ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).flip();
        assertThatThrownBy(() -> KeyOwners.decode(RING, huge)).isInstanceOf(IllegalArgumentException.class);
    }
}
