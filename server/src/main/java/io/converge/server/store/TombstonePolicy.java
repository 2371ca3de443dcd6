package io.converge.server.store;

import io.converge.crdt.HybridLogicalClock;

/**
 * Decides when delete records (key watermarks, hash-field tombstones, persistent-expiry records)
 * may be garbage-collected: it supplies, per key, a stamp such that every replica of the key has
 * received every write stamped at or before it and the local clock is past it (the precondition
 * of {@code KeyState.gc}). The engine collects a key's tombstones when a write leaves the key
 * deleted, and in the background for keys queued by HDEL-like shrinking or PERSIST.
 *
 * <p>A single node with no peers is every replica of every key, and each write is "acknowledged
 * by all replicas" the moment it is applied, so {@link #singleReplica} may collect at once. The
 * cluster replaces the policy with "acknowledged by all replicas" (DESIGN §1, §5.5).
 */
@FunctionalInterface
public interface TombstonePolicy {

    /** Nothing is ever stable: keeps every tombstone (useful in tests and before peers are known). */
    TombstonePolicy KEEP_ALL = key -> 0;

    /**
     * The GC horizon for {@code key}: tombstones stamped at or before it may be dropped; 0 means
     * nothing may be dropped now. Called with the key's stripe lock held; must not block.
     */
    long stableStamp(byte[] key);

    /**
     * The policy of a node that is the only replica: stable = a fresh stamp of its clock. Every
     * write to the key was stamped earlier under the key's lock and is applied already, and every
     * later write is stamped after it.
     */
    static TombstonePolicy singleReplica(HybridLogicalClock clock) {
        return key -> clock.now();
    }
}
