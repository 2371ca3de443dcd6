package io.converge.server.store;

import java.nio.charset.StandardCharsets;

/**
 * Maps the configured node id (a string: {@code node-id} in the config, or the one generated and
 * kept in the data directory) to the replica id that stamps, dots and counter contributions carry.
 *
 * <p>A replica id is a non-negative {@code long} whose low 16 bits are the cluster node id
 * ({@link #nodeOf}); the bits above are free for a replica incarnation's epoch, so a node that
 * restarts without its state can take a new id that no peer has seen. (The CRDT codec reserves
 * 2^31 for its purge-watermark node, {@code Stamp.MIN_NODE}: not a replica id.)
 *
 * <p>A decimal id from 0 to 2147483647 is used as is: clusters should configure numeric ids
 * (the cluster spec's node ids are 0..65535), which are unique by construction. Any other string
 * is hashed (32-bit FNV-1a with a final mix, sign bit cleared); two different strings can then
 * collide, which would make their stamps tie-break as one node, so this form is only meant for a
 * single node or a generated id.
 */
public final class NodeIds {
    private NodeIds() {}

    /** The replica id for {@code nodeId} (today below 2^31: no epoch bits). */
    public static long replicaId(String nodeId) {
        String s = nodeId.trim();
        if (!s.isEmpty() && s.length() <= 10 && s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            long v = Long.parseLong(s);
            if (v <= Integer.MAX_VALUE) {
                return (int) v;
            }
        }
        int h = 0x811c9dc5;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h & Integer.MAX_VALUE;
    }

    /** The cluster node id of a replica id: its low 16 bits. */
    public static int nodeOf(long replicaId) {
        return (int) (replicaId & 0xFFFF);
    }
}
