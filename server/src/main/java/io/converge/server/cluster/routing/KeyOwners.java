package io.converge.server.cluster.routing;

import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which node answers for each key in one cluster-wide keyspace request: its <em>owner</em>, one of
 * its replicas. The coordinator chooses ({@link #choose}) and sends the choice in the request
 * ({@link #encode}), so that every node applies the same owners: each key then has exactly one
 * owner, or none when no replica of it takes part ({@link #uncovered}).
 */
final class KeyOwners {
    private static final int NONE = 0xFFFF;

    private final Ring ring;
    /** The owner of every replica set by {@link ReplicaSet#id()}, -1 when none of its replicas takes part. */
    private final int[] ownerBySet;
    /** The nodes owning some replica set, ascending. */
    private final int[] owners;

    private KeyOwners(Ring ring, int[] ownerBySet) {
        this.ring = ring;
        this.ownerBySet = ownerBySet;
        TreeSet<Integer> distinct = new TreeSet<>();
        for (int owner : ownerBySet) {
            if (owner >= 0) {
                distinct.add(owner);
            }
        }
        this.owners = distinct.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The owners among the nodes taking part, the keys of {@code completeSets} (node id to the ids
     * of the replica sets it is a complete replica of: it holds every acknowledged write, see
     * {@link io.converge.server.replication.Replicator#complete}): for each replica set, the first
     * of its replicas in ring order that takes part and is complete, or, when none is, the first
     * that takes part (a node still catching up after a restart answers only for keys no complete
     * replica of which can be reached).
     */
    static KeyOwners choose(Ring ring, Map<Integer, BitSet> completeSets) {
        int[] ownerBySet = new int[ring.replicaSetCount()];
        for (int id = 0; id < ownerBySet.length; id++) {
            ReplicaSet set = ring.replicaSet(id);
            int first = -1;
            int firstComplete = -1;
            for (int i = 0; i < set.size() && firstComplete < 0; i++) {
                BitSet complete = completeSets.get(set.node(i));
                if (complete != null) {
                    if (first < 0) {
                        first = set.node(i);
                    }
                    if (complete.get(id)) {
                        firstComplete = set.node(i);
                    }
                }
            }
            ownerBySet[id] = firstComplete >= 0 ? firstComplete : first;
        }
        return new KeyOwners(ring, ownerBySet);
    }

    /** The nodes answering for some keys, ascending. */
    int[] owners() {
        return owners.clone();
    }

    /** Whether {@code nodeId} answers for some keys. */
    boolean owns(int nodeId) {
        return Arrays.binarySearch(owners, nodeId) >= 0;
    }

    /** The node answering for {@code key}, -1 when none of its replicas takes part. */
    int ownerOf(byte[] key) {
        return ownerBySet[ring.replicasFor(key).id()];
    }

    /** Whether some keys have no replica taking part (their replicas are all down or cut off). */
    boolean uncovered() {
        for (int owner : ownerBySet) {
            if (owner < 0) {
                return true;
            }
        }
        return false;
    }

    /** Writes the owners: the number of replica sets, then each one's owner. */
    void encode(ByteBuffer out) {
        out.putInt(ownerBySet.length);
        for (int owner : ownerBySet) {
            out.putShort((short) (owner < 0 ? NONE : owner));
        }
    }

    /** Bytes {@link #encode} writes. */
    int encodedSize() {
        return 4 + 2 * ownerBySet.length;
    }

    /**
     * Reads what {@link #encode} wrote; throws IllegalArgumentException (or
     * BufferUnderflowException) when it is not the owners of {@code ring}'s replica sets.
     */
    static KeyOwners decode(Ring ring, ByteBuffer in) {
        int n = in.getInt();
        if (n != ring.replicaSetCount()) {
            throw new IllegalArgumentException("owners of " + n + " replica sets, not " + ring.replicaSetCount());
        }
        int[] ownerBySet = new int[n];
        for (int id = 0; id < n; id++) {
            int owner = Short.toUnsignedInt(in.getShort());
            if (owner == NONE) {
                owner = -1;
            } else if (!ring.replicaSet(id).contains(owner)) {
                throw new IllegalArgumentException("node " + owner + " is no replica of set " + id);
            }
            ownerBySet[id] = owner;
        }
        return new KeyOwners(ring, ownerBySet);
    }

    /**
     * The replica sets node {@code self} is a complete replica of, as {@link #choose} takes them
     * ({@code complete} tells for each of its sets).
     */
    static BitSet completeSetsOf(Ring ring, int self, java.util.function.Predicate<ReplicaSet> complete) {
        BitSet sets = new BitSet(ring.replicaSetCount());
        for (int id = 0; id < ring.replicaSetCount(); id++) {
            ReplicaSet set = ring.replicaSet(id);
            if (set.contains(self) && complete.test(set)) {
                sets.set(id);
            }
        }
        return sets;
    }
}
