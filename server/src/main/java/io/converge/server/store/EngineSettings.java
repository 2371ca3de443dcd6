package io.converge.server.store;

import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.PhysicalClock;
import io.converge.server.config.LiveConfig;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * What an {@link EmbeddedEngine} is built from. The suppliers are read on use, so values changed
 * with CONFIG SET (maxmemory, hz, active-expire) apply at once.
 *
 * @param replicaId     this node's replica id (see {@link NodeIds})
 * @param clock         physical time for the HLC and for expiry
 * @param maxClockDriftMs largest accepted lead of a remote timestamp
 * @param stripes       number of keyspace stripes (a power of two, 1..4096)
 * @param maxmemory     dataset limit in bytes, 0 for none
 * @param hz            background cycles per second (active expiry, tombstone GC)
 * @param activeExpire  whether the background cycle samples and removes expired keys
 */
public record EngineSettings(long replicaId, PhysicalClock clock, long maxClockDriftMs, int stripes,
                             LongSupplier maxmemory, IntSupplier hz, BooleanSupplier activeExpire) {

    /** Default number of stripes: enough that event-loop threads rarely meet on one lock. */
    public static final int DEFAULT_STRIPES = 256;

    /** Validates. */
    public EngineSettings {
        if (stripes < 1 || stripes > 4096 || Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("stripes must be a power of two in 1..4096: " + stripes);
        }
        if (replicaId < 0) {
            throw new IllegalArgumentException("replicaId must be >= 0: " + replicaId);
        }
    }

    /** Settings from the node's live configuration. */
    public static EngineSettings fromConfig(LiveConfig config, String nodeId) {
        return new EngineSettings(NodeIds.replicaId(nodeId), PhysicalClock.SYSTEM,
                config.current().maxClockDriftMs(), DEFAULT_STRIPES,
                () -> config.current().maxmemory(), () -> config.current().hz(),
                () -> config.current().activeExpire());
    }

    /** Settings for a standalone engine (tests, tools): no memory limit, hz 10, active expiry on. */
    public static EngineSettings of(long replicaId, PhysicalClock clock) {
        return new EngineSettings(replicaId, clock, HybridLogicalClock.DEFAULT_MAX_DRIFT_MS, DEFAULT_STRIPES,
                () -> 0, () -> 10, () -> true);
    }

    /** A copy with {@code stripes} stripes. */
    public EngineSettings withStripes(int stripes) {
        return new EngineSettings(replicaId, clock, maxClockDriftMs, stripes, maxmemory, hz, activeExpire);
    }

    /** A copy with a memory limit supplier. */
    public EngineSettings withMaxmemory(LongSupplier maxmemory) {
        return new EngineSettings(replicaId, clock, maxClockDriftMs, stripes, maxmemory, hz, activeExpire);
    }
}
