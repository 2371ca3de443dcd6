package io.converge.server.store;

import io.converge.crdt.KeyState;
import io.converge.server.node.Engine;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The storage-engine contract of DESIGN §6, shaped around CRDT operations rather than Redis
 * commands: a command handler takes exclusive access to its key(s), reads the {@link KeyState},
 * applies a CRDT mutator (which returns a key delta) and reports the delta with
 * {@link KeyAccess#written}. Deltas from replicas or from the log are joined with {@link #merge}.
 *
 * <p>Every method is thread-safe; commands run on several event-loop threads at once. Access to
 * one key is serialised by the engine; the operations passed in run on the calling thread before
 * the method returns and must not block.
 */
public interface StorageEngine extends Engine {

    /**
     * This node's replica id: the {@code node} part of every stamp, dot and counter contribution
     * it creates. Its low 16 bits are the cluster node id ({@link NodeIds#nodeOf}).
     */
    long replicaId();

    /** Switches the replica id new stamps, dots and contributions name (a new incarnation, see {@link ReplicaIdentity}). */
    void replicaId(long replicaId);

    /** Runs {@code op} with exclusive access to {@code key}; returns what {@code op} returns. */
    <R> R withKey(byte[] key, KeyOperation<R> op);

    /**
     * Runs {@code op} with exclusive access to all {@code keys} at once (multi-key commands:
     * MSET, RENAME, SMOVE, *STORE ...). Duplicate keys are allowed and share one {@link KeyAccess}.
     */
    <R> R withKeys(byte[][] keys, MultiKeyOperation<R> op);

    /**
     * Joins a delta (or a full state) received from a replica or replayed from the log into the
     * key's state. Deltas merged here are not reported to delta listeners as local writes.
     *
     * @throws MergeRefusedException if the engine cannot record the delta durably right now (its
     *         log cannot be written); nothing changed, and the delta must not be acknowledged
     */
    void merge(byte[] key, KeyState delta);

    /**
     * {@link #merge(byte[], KeyState)}, given also the delta's {@link io.converge.crdt.CrdtCodec}
     * encoding, {@code encoding[offset..]}, as it arrived from a replica: an engine that logs may
     * record those bytes instead of encoding the delta again. Default: {@link #merge(byte[], KeyState)}.
     */
    default void merge(byte[] key, KeyState delta, byte[] encoding, int offset) {
        merge(key, delta);
    }

    /**
     * Merges a whole state a replica sent (hash-tree repair), whose CRDT encoding is
     * {@code encoding[offset..offset + length)} (the log may record those bytes), as {@link
     * #merge(byte[], KeyState)} would; {@code key} and {@code state} are handed over: the engine
     * may keep them, and the caller must not change them afterwards (nor use {@code state}).
     * Returns true when the key is known to hold exactly {@code state} now (the state was at or
     * above what was held); false when it may hold more, or the engine does not tell.
     */
    default boolean mergeReceived(byte[] key, KeyState state, byte[] encoding, int offset, int length) {
        merge(key, state);
        return false;
    }

    /**
     * Joins a state fetched to repair this replica during a read (read repair) into the key's
     * state. Unlike {@link #merge} it is never refused: while the log cannot be written the state
     * is joined in memory only, which is safe because nothing is acknowledged for it and the
     * replica it came from holds it (and resends what it has not had acknowledged). Default:
     * {@link #merge}.
     */
    default void mergeRepair(byte[] key, KeyState state) {
        merge(key, state);
    }

    /**
     * Says that states are being merged in bulk (a hash-tree catch-up): housekeeping that would
     * be redone once the inflow ends (an automatic log rewrite) may wait for it. Default: nothing.
     */
    default void bulkInflow() {}

    /** A copy of the key's whole CRDT state (tombstones included), or null if none is held. */
    KeyState stateCopy(byte[] key);

    /**
     * What {@code reader} makes of the key's whole CRDT state (null if none is held), applied
     * under the key's lock: no copy of the state is made, so the reader must neither keep nor
     * change it, and should be quick (e.g. encode it).
     */
    <T> T readState(byte[] key, Function<KeyState, T> reader);

    /**
     * Bytes the key is estimated to take (what it counts towards {@code maxmemory}: its entry,
     * key and value), or -1 when it does not exist (MEMORY USAGE). Not a read for the keyspace
     * hit and miss counters.
     */
    long memoryUsage(byte[] key);

    /**
     * Number of existing keys, as DBSIZE answers. As in Redis, a key whose TTL passed may still
     * count until it is purged (on access or by active expiry).
     */
    long size();

    /**
     * Iterates keys Redis-SCAN style: visits up to about {@code count} keys from {@code cursor}
     * (0 starts) and returns the next cursor (0 when done). A key present for the whole scan is
     * returned at least once; keys are passed with their live state (do not keep or mutate it).
     */
    long scan(long cursor, int count, KeyVisitor visitor);

    /**
     * Walks the existing, unexpired keys whose ring token lies in part {@code part} of the
     * {@code 2^partBits} equal parts of the token space ({@link
     * io.converge.server.keyspace.LeafLayout#part}) and whose {@link #scanOrder} is at least
     * {@code from}, in scan order bucket by bucket, until {@code budget} is spent; returns the scan
     * order reached (exclusive, 2^32 when the part is done): every such key with a scan order in
     * {@code [from, returned)} was visited once, and no other. A position means the same keys on
     * every node and whatever the sizes of the tables, so a walk may go on on another replica (the
     * cluster-wide SCAN). Expired keys are skipped, not purged.
     */
    long scanPart(int partBits, int part, long from, ScanBudget budget, CountingVisitor visitor);

    /**
     * Where {@code key} comes in a {@link #scanPart} walk of its token part: the bits of its hash
     * reversed, 0..2^32-1, the same on every node.
     */
    static long scanOrder(byte[] key) {
        return Integer.toUnsignedLong(Integer.reverse(EmbeddedEngine.hash(key)));
    }

    /**
     * A random existing, unexpired key (RANDOMKEY), or null when there is none. (Added by the
     * embedded-engine work: the contract had no way to sample a key without a full scan.)
     */
    byte[] randomKey();

    /** Receives every local write's delta, in order per key (replication, the append-only log). */
    void addDeltaListener(DeltaListener listener);

    /** Visits one key during a scan. */
    @FunctionalInterface
    interface KeyVisitor {
        /** Called with the key bytes and its live state (valid only during the call). */
        void visit(byte[] key, KeyState state);
    }

    /** Visits one key of a {@link #scanPart} walk. */
    @FunctionalInterface
    interface CountingVisitor {
        /** Called with the key and its live state (valid only during the call); true when it counts towards the budget. */
        boolean visit(byte[] key, KeyState state);
    }

    /** How much one {@link #scanPart} call (or several sharing it) may do, and what they did. */
    final class ScanBudget {
        private final int wantedKeys;
        private final int maxBuckets;
        int counted;
        int buckets;

        /** A budget of about {@code wantedKeys} counted keys or {@code maxBuckets} hash buckets, whichever comes first. */
        public ScanBudget(int wantedKeys, int maxBuckets) {
            this.wantedKeys = Math.max(1, wantedKeys);
            this.maxBuckets = Math.max(1, maxBuckets);
        }

        /** The keys the visitor counted so far. */
        public int counted() {
            return counted;
        }

        /** Whether the budget is spent. */
        public boolean spent() {
            return counted >= wantedKeys || buckets >= maxBuckets;
        }

        int wantedKeys() {
            return wantedKeys;
        }

        int maxBuckets() {
            return maxBuckets;
        }
    }

    /** Receives local write deltas. */
    @FunctionalInterface
    interface DeltaListener {
        /** Called under the key's lock, right after the write; must not block (queue the work). */
        void onDelta(byte[] key, KeyState delta);
    }

    /** Helper for callers that only need to visit keys. */
    static KeyVisitor keysOnly(Consumer<byte[]> consumer) {
        return (key, state) -> consumer.accept(key);
    }
}
