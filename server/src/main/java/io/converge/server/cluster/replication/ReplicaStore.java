package io.converge.server.cluster.replication;

import io.converge.crdt.HybridLogicalClock;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.StorageEngine;
import io.converge.server.store.TombstoneCollector;
import io.converge.server.store.TombstonePolicy;

/**
 * What the {@link Replicator} needs from the local storage engine beyond the
 * {@link StorageEngine} contract: its hybrid logical clock, the tombstone-GC policy hook, and a
 * walk over every held state (tombstones included) for the restart push and the sweeper.
 */
public interface ReplicaStore {

    /** The storage engine (commands, merges, state copies, delta listeners, exclusive sections). */
    StorageEngine engine();

    /** The engine's hybrid logical clock: stamps of local writes, receive rule for remote stamps. */
    HybridLogicalClock clock();

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

    /** The adapter for the embedded engine. */
    static ReplicaStore embedded(EmbeddedEngine engine) {
        return new ReplicaStore() {
            @Override
            public StorageEngine engine() {
                return engine;
            }

            @Override
            public HybridLogicalClock clock() {
                return engine.clock();
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
        };
    }
}
