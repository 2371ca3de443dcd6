package io.converge.server.replication.gc;

import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import java.util.Set;

/**
 * How many nodes the GC horizon may expel at once (see {@link GcHorizon}): never, in any replica
 * set, a quorum of one datacenter's replicas. A write acknowledged at {@code LOCAL_QUORUM} (or
 * any stronger level) is held by a quorum of some datacenter's replicas, so at least one of those
 * is never expelled and keeps it while the expelled ones discard their state.
 */
public final class ExpulsionLimit {

    /** Per replica set and datacenter: the replicas there. */
    private final int[][][] replicas;

    private ExpulsionLimit(int[][][] replicas) {
        this.replicas = replicas;
    }

    /** The limit for the replica sets of {@code ring}. */
    public static ExpulsionLimit of(Ring ring) {
        int[][][] replicas = new int[ring.replicaSetCount()][][];
        for (int id = 0; id < replicas.length; id++) {
            ReplicaSet set = ring.replicaSet(id);
            replicas[id] = new int[set.datacenterCount()][];
            for (int dc = 0; dc < set.datacenterCount(); dc++) {
                replicas[id][dc] = set.nodesIn(dc).stream().mapToInt(Integer::intValue).toArray();
            }
        }
        return new ExpulsionLimit(replicas);
    }

    /** Whether expelling every node of {@code expelled} at once leaves every quorum-acknowledged write held. */
    public boolean allows(Set<Integer> expelled) {
        for (int[][] set : replicas) {
            for (int[] dc : set) {
                int out = 0;
                for (int node : dc) {
                    out += expelled.contains(node) ? 1 : 0;
                }
                if (dc.length > 0 && out >= ConsistencyLevel.quorum(dc.length)) {
                    return false;
                }
            }
        }
        return true;
    }
}
