package io.converge.server.replication;

import io.converge.crdt.KeyState;
import io.converge.server.cluster.ConsistencyLevel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Temporary: measures a full repair pass in the simulation (no network cost). */
class RepairSpeedProbe {
    public static void main(String[] args) {
        new RepairSpeedProbe().probe();
    }

    @Test
    void probe() {
        int keys = Integer.getInteger("probe.keys", 200_000);
        ReplicationSettings s = SimCluster.simulationSettings().withLeafSliceBits(14)
                .withRepair(new io.converge.server.replication.antientropy.RepairSettings(600_000, 0, 4096, 1 << 20, 4, 4, 30_000, 2, 32));
        SimCluster cluster = Clusters.started(SimCluster.spec(List.of(2), List.of(2), List.of(2), 64), 1, s);
        cluster.network.isolate(2);
        byte[] value = new byte[90];
        long hlc = cluster.node(1).engine.clock().now();
        long t0 = System.nanoTime();
        for (int i = 0; i < keys; i++) {
            KeyState st = new KeyState();
            cluster.node(1).engine.merge(("key:" + i).getBytes(), st.setString(value, 0, hlc + i, 1));
        }
        System.out.printf("filled %d keys in %d ms%n", keys, (System.nanoTime() - t0) / 1_000_000);
        cluster.network.heal();
        cluster.network.runFor(300);
        t0 = System.nanoTime();
        cluster.node(1).replicator.repair().requestFullPass(2);
        cluster.runUntil(() -> cluster.node(2).engine.size() == keys, 10, 600_000);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("full pass: %d keys in %d ms wall (%.1f MB/s of ~100-byte keys), node 2 has %d%n", keys, ms,
                keys * 110.0 / 1e6 / (ms / 1000.0), cluster.node(2).engine.size());
    }
}
