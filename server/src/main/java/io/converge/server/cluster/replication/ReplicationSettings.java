package io.converge.server.cluster.replication;

import io.converge.server.cluster.PhiAccrualFailureDetector;
import io.converge.server.repair.DeltaBufferSettings;

/**
 * Timing and limits of a {@link Replicator}.
 *
 * @param heartbeatIntervalMillis   how often heartbeats (and the GC status) go to every peer
 * @param writeTimeoutMillis        how long a write waits for its consistency level's acks
 * @param readTimeoutMillis         how long a quorum read waits for replica states
 * @param forwardTimeoutMillis      how long a forwarded command waits for the replica's reply
 *                                  (should exceed the write timeout: the replica waits for its acks)
 * @param failFastGraceMillis       after start, peers never heard from are not yet treated as
 *                                  down by the fail-fast check (they may just be starting too)
 * @param tombstoneSweepIntervalMillis least time between two tombstone sweeps of one partition
 * @param sweepPartitionsPerTick    partitions the tombstone sweeper visits per {@code tick()} at most
 * @param pushStatesOnStart         on start, if the store already holds data (a restart), send every
 *                                  held state to its other replicas: deltas that were waiting in
 *                                  the lost in-memory buffers reach them this way
 * @param deltaBuffers              per-peer outgoing delta buffer limits and resend timeout
 * @param failureDetector           phi-accrual settings
 */
public record ReplicationSettings(long heartbeatIntervalMillis, long writeTimeoutMillis, long readTimeoutMillis,
                                  long forwardTimeoutMillis, long failFastGraceMillis,
                                  long tombstoneSweepIntervalMillis, int sweepPartitionsPerTick,
                                  boolean pushStatesOnStart, DeltaBufferSettings deltaBuffers,
                                  PhiAccrualFailureDetector.Settings failureDetector) {

    /** Validates. */
    public ReplicationSettings {
        if (heartbeatIntervalMillis < 1 || writeTimeoutMillis < 1 || readTimeoutMillis < 1 || forwardTimeoutMillis < 1
                || failFastGraceMillis < 0 || tombstoneSweepIntervalMillis < 0 || sweepPartitionsPerTick < 1) {
            throw new IllegalArgumentException("replication intervals and timeouts must be positive");
        }
        if (deltaBuffers == null || failureDetector == null) {
            throw new IllegalArgumentException("delta buffer and failure detector settings are required");
        }
    }

    /**
     * Production defaults: heartbeats every second, 1 s write and read timeouts, 2 s for forwarded
     * commands, a 3 s start-up grace, sweeps at most every 10 s per partition, 8 partitions per tick.
     */
    public static ReplicationSettings defaults() {
        return new ReplicationSettings(1_000, 1_000, 1_000, 2_000, 3_000, 10_000, 8, true,
                DeltaBufferSettings.defaults(), PhiAccrualFailureDetector.Settings.defaults(1_000));
    }

    /** A copy with other write, read and forward timeouts. */
    public ReplicationSettings withTimeouts(long writeMillis, long readMillis, long forwardMillis) {
        return new ReplicationSettings(heartbeatIntervalMillis, writeMillis, readMillis, forwardMillis,
                failFastGraceMillis, tombstoneSweepIntervalMillis, sweepPartitionsPerTick, pushStatesOnStart,
                deltaBuffers, failureDetector);
    }

    /**
     * The shortest duration of one GC-horizon round: no reply to a request sent before a round
     * began may be used after the round ends (see {@link GcHorizon}), so it covers every timeout.
     */
    public long gcRoundMinMillis() {
        return Math.max(writeTimeoutMillis, Math.max(readTimeoutMillis, forwardTimeoutMillis));
    }
}
