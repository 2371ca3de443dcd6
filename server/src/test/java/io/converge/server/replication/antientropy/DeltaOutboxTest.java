package io.converge.server.replication.antientropy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.cluster.wire.PeerMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeltaOutboxTest {

    private static final Ring RING = Ring.build(ClusterSpec.localCluster(3, 1, 7001));
    private static final ReplicaSet ALL_THREE = RING.replicasFor("k".getBytes(StandardCharsets.UTF_8));

    private final DeltaOutbox outbox = new DeltaOutbox(1, new int[] {1, 2, 3}, 9, DeltaBufferSettings.defaults());

    @Test
    void buffersForEveryReplicaButSelfAndOrigin() {
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        assertThat(outbox.enqueue(ALL_THREE, key, new byte[] {1}, 1, 0)).isEqualTo(2);
        assertThat(outbox.enqueue(ALL_THREE, key, new byte[] {2}, 3, 0)).as("a delta that came from node 3").isEqualTo(1);
        assertThat(outbox.buffer(2).pendingCount()).isEqualTo(2);
        assertThat(outbox.buffer(3).pendingCount()).isEqualTo(1);
        assertThat(outbox.pendingCount()).isEqualTo(3);
        assertThatThrownBy(() -> outbox.buffer(1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(outbox.peerIds()).containsExactly(2, 3);
    }

    @Test
    void drainsReachablePeersAndCollectsGarbageOnAcks() {
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        outbox.enqueue(ALL_THREE, key, new byte[] {1}, 1, 0);
        outbox.enqueue(ALL_THREE, key, new byte[] {2}, 1, 0);
        List<Integer> sentTo = new ArrayList<>();
        List<PeerMessage.DeltaBatch> batches = new ArrayList<>();
        int count = outbox.drain(0, peer -> peer != 3, (peer, batch) -> {
            sentTo.add(peer);
            batches.add(batch);
            return true;
        });
        assertThat(count).isEqualTo(1);
        assertThat(sentTo).containsExactly(2);
        assertThat(batches.get(0).entries()).hasSize(2);
        assertThat(batches.get(0).incarnation()).isEqualTo(9);

        outbox.onAck(2, new PeerMessage.DeltaAck(9, 2));
        assertThat(outbox.buffer(2).pendingCount()).isZero();
        assertThat(outbox.buffer(3).pendingCount()).as("peer 3 has acked nothing").isEqualTo(2);
        assertThat(outbox.stats(0)).extracting(PeerDeltaStats::peerId).containsExactly(2, 3);
        assertThat(outbox.pendingBytes()).isEqualTo(outbox.buffer(3).pendingBytes());
    }

    @Test
    void tickRewindsTimedOutPeers() {
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        outbox.enqueue(ALL_THREE, key, new byte[] {1}, 1, 0);
        outbox.drain(0, peer -> true, (peer, batch) -> true);
        assertThat(outbox.tick(500)).isZero();
        assertThat(outbox.tick(1_000)).isEqualTo(2);
        List<Integer> resentTo = new ArrayList<>();
        outbox.drain(1_000, peer -> true, (peer, batch) -> resentTo.add(peer));
        assertThat(resentTo).containsExactly(2, 3);
    }
}
