package io.converge.server.cluster.routing;

import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Which node answers for each key in one cluster-wide keyspace request: of the nodes taking part
 * (the coordinator and the peers it could reach, listed in the request so that every node applies
 * the same view), the first of the key's replicas in ring order. Each key then has exactly one
 * owner, or none when no replica of it takes part ({@link #uncovered}).
 */
final class KeyOwners {
    private final Ring ring;
    private final int[] participants;
    /** The owner of every replica set by {@link ReplicaSet#id()}, -1 when none of its replicas takes part. */
    private final int[] ownerBySet;

    /** The owners among {@code participants} (node ids) on {@code ring}. */
    KeyOwners(Ring ring, int[] participants) {
        this.ring = ring;
        this.participants = participants.clone();
        Arrays.sort(this.participants);
        this.ownerBySet = new int[ring.replicaSetCount()];
        for (int id = 0; id < ownerBySet.length; id++) {
            ReplicaSet set = ring.replicaSet(id);
            int owner = -1;
            for (int i = 0; i < set.size() && owner < 0; i++) {
                if (takesPart(set.node(i))) {
                    owner = set.node(i);
                }
            }
            ownerBySet[id] = owner;
        }
    }

    /** The nodes taking part, ascending. */
    int[] participants() {
        return participants.clone();
    }

    /** Whether {@code nodeId} takes part. */
    boolean takesPart(int nodeId) {
        return Arrays.binarySearch(participants, nodeId) >= 0;
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

    /** Writes the participants: a count, then the ids. */
    void encode(ByteBuffer out) {
        out.putShort((short) participants.length);
        for (int p : participants) {
            out.putShort((short) p);
        }
    }

    /** Bytes {@link #encode} writes. */
    int encodedSize() {
        return 2 + 2 * participants.length;
    }

    /** Reads what {@link #encode} wrote. */
    static KeyOwners decode(Ring ring, ByteBuffer in) {
        int n = Short.toUnsignedInt(in.getShort());
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = Short.toUnsignedInt(in.getShort());
        }
        return new KeyOwners(ring, ids);
    }
}
