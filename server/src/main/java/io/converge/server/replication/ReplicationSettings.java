package io.converge.server.replication;

import io.converge.server.cluster.PhiAccrualFailureDetector;
import io.converge.server.keyspace.LeafLayout;
import io.converge.server.replication.antientropy.DeltaBufferSettings;
import io.converge.server.replication.antientropy.RepairSettings;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

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
 * @param deltaBuffers              per-peer outgoing delta buffer limits and resend timeout
 * @param failureDetector           phi-accrual settings
 * @param repair                    hash-tree repair pace and limits
 * @param leafSliceBits             the hash trees cut the token space in {@code 2^leafSliceBits}
 *                                  slices (then at the ring's tokens); every node of a cluster
 *                                  must use the same
 * @param readRepairChance          probability that a read at ONE is followed by a digest check
 *                                  of the other replicas (0 turns it off)
 * @param random                    where that probability is drawn (seeded in simulations)
 * @param hashTrees                 whether the engine keeps hash-tree leaves and repair runs (no:
 *                                  only to measure what keeping them costs)
 * @param gcGraceMillis             a peer not heard from for this long is expelled from the
 *                                  tombstone-GC horizon and must rebuild when it returns
 *                                  ({@code gc-grace-ms}; see {@code GcHorizon})
 * @param rejoinConfirmMillis       at start, how long a node waits at most for its peers to confirm
 *                                  its data directory before it serves (see {@code Rejoin})
 */
public record ReplicationSettings(long heartbeatIntervalMillis, long writeTimeoutMillis, long readTimeoutMillis,
                                  long forwardTimeoutMillis, long failFastGraceMillis,
                                  long tombstoneSweepIntervalMillis, int sweepPartitionsPerTick,
                                  DeltaBufferSettings deltaBuffers, PhiAccrualFailureDetector.Settings failureDetector,
                                  RepairSettings repair, int leafSliceBits, double readRepairChance,
                                  DoubleSupplier random, boolean hashTrees, long gcGraceMillis,
                                  long rejoinConfirmMillis) {

    /** Default {@code gc-grace-ms}: six hours. */
    public static final long DEFAULT_GC_GRACE_MILLIS = 6 * 3_600_000L;

    /** Default probability of a digest check after a read at ONE. */
    public static final double DEFAULT_READ_REPAIR_CHANCE = 0.1;

    /** Validates. */
    public ReplicationSettings {
        if (heartbeatIntervalMillis < 1 || writeTimeoutMillis < 1 || readTimeoutMillis < 1 || forwardTimeoutMillis < 1
                || failFastGraceMillis < 0 || tombstoneSweepIntervalMillis < 0 || sweepPartitionsPerTick < 1
                || gcGraceMillis < 1 || rejoinConfirmMillis < 0) {
            throw new IllegalArgumentException("replication intervals and timeouts must be positive");
        }
        if (deltaBuffers == null || failureDetector == null || repair == null || random == null) {
            throw new IllegalArgumentException("delta buffer, failure detector and repair settings are required");
        }
        if (leafSliceBits < 0 || leafSliceBits > LeafLayout.MAX_SLICE_BITS) {
            throw new IllegalArgumentException("leafSliceBits must be in 0.." + LeafLayout.MAX_SLICE_BITS);
        }
        if (!(readRepairChance >= 0 && readRepairChance <= 1)) {
            throw new IllegalArgumentException("readRepairChance must be in [0, 1]: " + readRepairChance);
        }
    }

    /**
     * Production defaults: heartbeats every second, 1 s write and read timeouts, 2 s for forwarded
     * commands, a 3 s start-up grace, sweeps at most every 10 s per partition, 8 partitions per
     * tick, {@link RepairSettings#defaults()}, {@link LeafLayout#DEFAULT_SLICE_BITS}, a digest
     * check after one read at ONE in ten, a six-hour GC grace, 3 s to confirm a data directory.
     */
    public static ReplicationSettings defaults() {
        return new ReplicationSettings(1_000, 1_000, 1_000, 2_000, 3_000, 10_000, 8, DeltaBufferSettings.defaults(),
                PhiAccrualFailureDetector.Settings.defaults(1_000), RepairSettings.defaults(),
                LeafLayout.DEFAULT_SLICE_BITS, DEFAULT_READ_REPAIR_CHANCE, () -> ThreadLocalRandom.current().nextDouble(),
                true, DEFAULT_GC_GRACE_MILLIS, 3_000);
    }

    /** A copy with other write, read and forward timeouts. */
    public ReplicationSettings withTimeouts(long writeMillis, long readMillis, long forwardMillis) {
        return new ReplicationSettings(heartbeatIntervalMillis, writeMillis, readMillis, forwardMillis,
                failFastGraceMillis, tombstoneSweepIntervalMillis, sweepPartitionsPerTick, deltaBuffers,
                failureDetector, repair, leafSliceBits, readRepairChance, random, hashTrees,
                gcGraceMillis, rejoinConfirmMillis);
    }

    /** A copy with other repair settings. */
    public ReplicationSettings withRepair(RepairSettings repair) {
        return new ReplicationSettings(heartbeatIntervalMillis, writeTimeoutMillis, readTimeoutMillis,
                forwardTimeoutMillis, failFastGraceMillis, tombstoneSweepIntervalMillis, sweepPartitionsPerTick,
                deltaBuffers, failureDetector, repair, leafSliceBits, readRepairChance, random, hashTrees,
                gcGraceMillis, rejoinConfirmMillis);
    }

    /** A copy with other delta buffer limits. */
    public ReplicationSettings withDeltaBuffers(DeltaBufferSettings deltaBuffers) {
        return new ReplicationSettings(heartbeatIntervalMillis, writeTimeoutMillis, readTimeoutMillis,
                forwardTimeoutMillis, failFastGraceMillis, tombstoneSweepIntervalMillis, sweepPartitionsPerTick,
                deltaBuffers, failureDetector, repair, leafSliceBits, readRepairChance, random, hashTrees,
                gcGraceMillis, rejoinConfirmMillis);
    }

    /** A copy with another digest-check chance, drawn from {@code random}. */
    public ReplicationSettings withReadRepairChance(double chance, DoubleSupplier random) {
        return new ReplicationSettings(heartbeatIntervalMillis, writeTimeoutMillis, readTimeoutMillis,
                forwardTimeoutMillis, failFastGraceMillis, tombstoneSweepIntervalMillis, sweepPartitionsPerTick,
                deltaBuffers, failureDetector, repair, leafSliceBits, chance, random, hashTrees,
                gcGraceMillis, rejoinConfirmMillis);
    }

    /** A copy with hash trees (and repair) on or off. */
    public ReplicationSettings withHashTrees(boolean on) {
        return new ReplicationSettings(heartbeatIntervalMillis, writeTimeoutMillis, readTimeoutMillis,
                forwardTimeoutMillis, failFastGraceMillis, tombstoneSweepIntervalMillis, sweepPartitionsPerTick,
                deltaBuffers, failureDetector, repair, leafSliceBits, readRepairChance, random, on,
                gcGraceMillis, rejoinConfirmMillis);
    }

    /** A copy with another GC grace period and data-directory confirmation window. */
    public ReplicationSettings withRejoin(long graceMillis, long confirmMillis) {
        return new ReplicationSettings(heartbeatIntervalMillis, writeTimeoutMillis, readTimeoutMillis,
                forwardTimeoutMillis, failFastGraceMillis, tombstoneSweepIntervalMillis, sweepPartitionsPerTick,
                deltaBuffers, failureDetector, repair, leafSliceBits, readRepairChance, random, hashTrees, graceMillis,
                confirmMillis);
    }

    /** A copy whose hash trees use {@code 2^bits} slices. */
    public ReplicationSettings withLeafSliceBits(int bits) {
        return new ReplicationSettings(heartbeatIntervalMillis, writeTimeoutMillis, readTimeoutMillis,
                forwardTimeoutMillis, failFastGraceMillis, tombstoneSweepIntervalMillis, sweepPartitionsPerTick,
                deltaBuffers, failureDetector, repair, bits, readRepairChance, random, hashTrees,
                gcGraceMillis, rejoinConfirmMillis);
    }

    /**
     * The shortest duration of one GC-horizon round: no reply to a request sent before a round
     * began may be used after the round ends (see {@code GcHorizon}), so it covers every timeout.
     */
    public long gcRoundMinMillis() {
        return Math.max(writeTimeoutMillis, Math.max(readTimeoutMillis, forwardTimeoutMillis));
    }
}
