package io.converge.server.store.persist;

import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.StorageEngine;

/**
 * Every key state an engine holds, partition by partition, for snapshots: unlike
 * {@link StorageEngine#scan}, it includes states that are not visible (a deleted set's causal
 * context, tombstones not yet collected) and keys whose TTL passed but that were not purged yet,
 * because a snapshot must restore the CRDT state, not just what reads show.
 */
public interface StateSource {

    /** Number of partitions (the embedded engine's stripes). */
    int partitions();

    /**
     * Visits every key state of {@code partition} with that partition locked, so the visitor sees
     * a consistent partition and must be quick: no blocking, no calls back into the engine, no
     * keeping the state after the call.
     */
    void forEachState(int partition, StorageEngine.KeyVisitor visitor);

    /** The states of an embedded engine: one partition per stripe. */
    static StateSource of(EmbeddedEngine engine) {
        return new StateSource() {
            @Override
            public int partitions() {
                return engine.partitions();
            }

            @Override
            public void forEachState(int partition, StorageEngine.KeyVisitor visitor) {
                engine.forEachState(partition, visitor);
            }
        };
    }
}
