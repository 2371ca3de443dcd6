package io.converge.server.replication.core;

import io.converge.crdt.HybridLogicalClock;
import io.converge.server.keyspace.LeafLayout;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.ReplicaIdentity;
import io.converge.server.store.StorageEngine;
import io.converge.server.store.TombstoneCollector;
import io.converge.server.store.TombstonePolicy;

/**
 * What replication needs from the local storage engine beyond the {@link StorageEngine}
 * contract: its hybrid logical clock, the tombstone-GC policy hook, a walk over every held state
 * (tombstones included) for the sweeper, and the digests of the anti-entropy hash-tree leaves.
 */
public interface ReplicaStore {

    /** The storage engine (commands, merges, state copies, delta listeners, exclusive sections). */
    StorageEngine engine();

    /** The engine's hybrid logical clock: stamps of local writes, receive rule for remote stamps. */
    HybridLogicalClock clock();

    /** The engine's wall clock, in milliseconds since the epoch (what its HLC's physical part follows). */
    long wallMillis();

    /** Replaces the engine's tombstone GC policy. */
    void tombstonePolicy(TombstonePolicy policy);

    /** Number of partitions for {@link #forEachState} and {@link #collectTombstones}. */
    int partitions();

    /**
     * Visits every state of partition {@code partition}, invisible ones included, with the
     * partition locked (the visitor must be quick and must not call back into the engine).
     */
    void forEachState(int partition, StorageEngine.KeyVisitor visitor);

    /** Re-runs tombstone GC over partition {@code partition} with the current policy; returns entries removed. */
    int collectTombstones(int partition);

    /**
     * Re-runs tombstone GC on {@code key} with the current policy, after merging a state that
     * carries key-level delete records ({@code KeyState.hasKeyParts}): a replica that had not
     * collected them yet hands them back to one that had, and nothing else would drop them again
     * before the horizon moves (settle collects only keys left deleted); the replicas would differ
     * (digests, repair) until then.
     */
    void collectTombstones(byte[] key);

    /** Starts keeping the leaf digests of {@code layout} (see {@link EmbeddedEngine#trackLeaves}). */
    void trackLeaves(LeafLayout layout);

    /** Current digests and key counts of {@code leaves} (ascending); see {@link EmbeddedEngine#leafDigests}. */
    void leafDigests(int[] leaves, long[] digests, int[] keyCounts);

    /** Every key of {@code leaves} (ascending) with its digest; see {@link EmbeddedEngine#forEachKeyDigest}. */
    void forEachKeyDigest(int[] leaves, EmbeddedEngine.KeyDigestVisitor visitor);

    /** The digest of {@code key}'s state (0 when none is held). */
    long keyDigest(byte[] key);

    /** The partition (see {@link #partitions}) leaf {@code leaf} of the tracked layout lies in. */
    int partitionOfLeaf(int leaf);

    /** Who this replica is, and whether its state is proven whole (see {@link ReplicaIdentity}). */
    ReplicaIdentity identity();

    /** Whether the engine holds no entry at all, tombstones included. */
    boolean isEmpty();

    /** Forgets every key locally, reporting nothing to delta listeners (see {@link EmbeddedEngine#clearLocally}). */
    void clearLocally();

    /** The adapter for the embedded engine. */
    static ReplicaStore embedded(EmbeddedEngine engine) {
        return new ReplicaStore() {
            @Override
            public StorageEngine engine() {
                return engine;
            }

            @Override
            public ReplicaIdentity identity() {
                return engine.identity();
            }

            @Override
            public boolean isEmpty() {
                return engine.entries() == 0;
            }

            @Override
            public void clearLocally() {
                engine.clearLocally();
            }

            @Override
            public HybridLogicalClock clock() {
                return engine.clock();
            }

            @Override
            public long wallMillis() {
                return engine.wallMillis();
            }

            @Override
            public void tombstonePolicy(TombstonePolicy policy) {
                engine.tombstonePolicy(policy);
            }

            @Override
            public int partitions() {
                return engine.partitions();
            }

            @Override
            public void forEachState(int partition, StorageEngine.KeyVisitor visitor) {
                engine.forEachState(partition, visitor);
            }

            @Override
            public int collectTombstones(int partition) {
                return TombstoneCollector.collect(engine, partition);
            }

            @Override
            public void collectTombstones(byte[] key) {
                TombstoneCollector.collect(engine, key);
            }

            @Override
            public void trackLeaves(LeafLayout layout) {
                engine.trackLeaves(layout);
            }

            @Override
            public void leafDigests(int[] leaves, long[] digests, int[] keyCounts) {
                engine.leafDigests(leaves, digests, keyCounts);
            }

            @Override
            public void forEachKeyDigest(int[] leaves, EmbeddedEngine.KeyDigestVisitor visitor) {
                engine.forEachKeyDigest(leaves, visitor);
            }

            @Override
            public long keyDigest(byte[] key) {
                return engine.keyDigest(key);
            }

            @Override
            public int partitionOfLeaf(int leaf) {
                return engine.partitionOfLeaf(leaf);
            }
        };
    }
}
