package io.converge.server.replication.antientropy;

/**
 * Pace and limits of hash-tree repair ({@link HashTreeRepair}).
 *
 * @param intervalMillis       how often a node compares its trees with each peer when nothing
 *                             else asked for it (the background pass that finds divergence from
 *                             any cause); 0 turns background passes off
 * @param bytesPerSecond       repair traffic this node lets through per second, both ways
 *                             (states and key lists it sends, states it accepts), 0 = unlimited;
 *                             tree comparisons themselves are small and not counted
 * @param batchKeys            keys of its own a node lists in one leaf batch (whole leaves: a
 *                             single larger leaf goes alone)
 * @param partBytes            target size of one message of streamed states (a larger state
 *                             goes alone, cut into fragments by the transport)
 * @param batchesInFlight      leaf batches a session works on at once
 * @param partsInFlight        parts of one state stream sent and not yet acknowledged
 * @param sessionTimeoutMillis a session that made no progress for this long is abandoned (and
 *                             retried later)
 * @param maxSessions          sessions this node initiates at once (with different peers)
 * @param fanout               children per node of the comparison tree
 */
public record RepairSettings(long intervalMillis, long bytesPerSecond, int batchKeys, int partBytes,
                             int batchesInFlight, int partsInFlight, long sessionTimeoutMillis, int maxSessions,
                             int fanout) {

    /** Validates. */
    public RepairSettings {
        if (intervalMillis < 0 || bytesPerSecond < 0 || batchKeys < 1 || partBytes < 1 || batchesInFlight < 1
                || partsInFlight < 1 || sessionTimeoutMillis < 1 || maxSessions < 1 || fanout < 2) {
            throw new IllegalArgumentException("invalid repair settings: " + this);
        }
    }

    /**
     * Production defaults: a background pass with each peer every 60 s, 128 MiB/s, 4,096 keys
     * per leaf batch, 512 KiB parts (under the 1 MiB peer frame), 4 batches and 4 parts in flight, 30 s without progress ends a
     * session, 2 sessions at once, fanout 32.
     */
    public static RepairSettings defaults() {
        return new RepairSettings(60_000, 128L << 20, 4096, 512 << 10, 4, 4, 30_000, 2, 32);
    }

    /** A copy with another background interval and rate. */
    public RepairSettings withPace(long intervalMillis, long bytesPerSecond) {
        return new RepairSettings(intervalMillis, bytesPerSecond, batchKeys, partBytes, batchesInFlight,
                partsInFlight, sessionTimeoutMillis, maxSessions, fanout);
    }
}
