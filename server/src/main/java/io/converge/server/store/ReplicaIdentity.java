package io.converge.server.store;

/**
 * Who this replica is, and whether it can prove its state is whole (DESIGN §5, "causal identity
 * survives state loss").
 *
 * <p>Every stamp, set dot and counter contribution the engine creates names its <em>replica
 * id</em>. A replica that lost part of what it once wrote (an empty or restored data directory,
 * the tail of its log after a power loss with {@code appendfsync everysec}, {@code appendonly
 * no}) must never hand out again an identity its peers already hold: a new set add would look
 * like an old one they saw removed, a counter contribution would overwrite the one they hold.
 * So such a replica takes a new <em>incarnation</em>: replica id {@code (epoch << 16) | node},
 * where the epoch is a millisecond instant of its start (unique without asking anyone). What its
 * peers hold of its old incarnation stays theirs, and keeps counting.
 *
 * <p>The engine's durability layer implements this (the {@code incarnation} file next to the
 * log); an engine without one is a process whose state lives as long as it does.
 */
public interface ReplicaIdentity {

    /** Epoch bits start here in a replica id; the low bits are the cluster node id. */
    int EPOCH_SHIFT = 16;

    /**
     * Whether the state loaded at start holds everything this replica ever stamped: the log was
     * on, intact, and either forced on every write, closed cleanly, or the machine did not restart
     * since (a killed process loses nothing the OS already had, and nothing leaves for a peer
     * before the OS has it).
     */
    boolean provenComplete();

    /**
     * The HLC high-water mark loaded at start: at or above every stamp this replica issued with
     * this data directory (0 for a new one; {@code Long.MAX_VALUE} when the state cannot have been
     * lost, as in a process without a disk). A peer that saw a later stamp from it knows the
     * directory lost something (it was restored from a backup, or replaced).
     */
    long loadedMark();

    /** The replica id this data directory last stamped with (0 when it never recorded one). */
    long storedReplicaId();

    /** The stable stamp this replica last discarded its state against (0: never), see {@link #rebuilt}. */
    long rebuiltAt();

    /**
     * The number this process announces itself with to its peers (heartbeats, delta batches,
     * request ids): at least {@code candidate} and above the one every earlier process of this
     * data directory announced, recorded (durably) before it is returned.
     */
    long startProcess(long candidate);

    /** Stamps with {@code replicaId} from now on, recorded (durably) first. */
    void adopt(long replicaId);

    /**
     * Takes a new incarnation for cluster node {@code nodeId}: an epoch above every one this data
     * directory used and not before now, recorded (durably) and adopted before it is returned.
     */
    long newIncarnation(int nodeId);

    /**
     * Records that this replica discarded its state against stable stamp {@code stable}
     * (durably, after the log no longer holds the discarded state), so its peers let it back in.
     */
    void rebuilt(long stable);

    /**
     * The replica id of cluster node {@code nodeId} in the first epoch at or after {@code
     * wallMillis} that is above {@code previousEpoch}: a millisecond instant, unique without
     * coordination as long as the wall clock does not step back past an earlier start.
     */
    static long nextIncarnation(int nodeId, long previousEpoch, long wallMillis) {
        long epoch = Math.max(previousEpoch + 1, wallMillis);
        return (epoch << EPOCH_SHIFT) | nodeId;
    }

    /** The epoch of a replica id (0 for the first incarnation of a node that never needed another). */
    static long epochOf(long replicaId) {
        return replicaId >>> EPOCH_SHIFT;
    }
}
