package io.converge.server.cluster.routing;

import io.converge.crdt.KeyState;
import io.converge.server.command.data.DataArgs;
import io.converge.server.keyspace.LeafLayout;
import io.converge.server.keyspace.Partitioner;
import io.converge.server.store.StorageEngine;
import io.converge.server.util.Glob;
import java.util.ArrayList;
import java.util.List;

/**
 * What one node answers in a cluster-wide keyspace request: walks of the keys it owns
 * ({@link KeyOwners}) in its own data.
 *
 * <p><b>Scan positions.</b> A cluster SCAN walks the token space in {@code 2^PART_BITS} equal
 * parts, in token order, and each part in {@linkplain StorageEngine#scanOrder scan order} (the
 * key's hash, bits reversed). A key's position is {@code part * 2^32 + scanOrder}, the same on
 * every node, so the position reached is a cursor any replica can go on from; positions run from
 * 0 to {@link #END} (exclusive).
 */
final class OwnedKeyWalks {
    /** The token space is walked in 2^8 parts (the engine's default stripe count: one stripe each). */
    static final int PART_BITS = 8;
    private static final int PARTS = 1 << PART_BITS;
    private static final long PART_SIZE = 1L << 32;
    /** One past the last scan position. */
    static final long END = (long) PARTS << 32;
    /** Hash buckets a scan may walk per key it wants (keys others own, tombstones, sparse tables). */
    private static final int BUCKETS_PER_KEY = 10;
    /** Owned keys one chunk of a walk over every key looks at (DBSIZE, KEYS, INFO keyspace). */
    private static final int CHUNK_KEYS = 1024;
    /** Hash buckets one chunk of a walk over every key looks at, at most. */
    private static final int CHUNK_BUCKETS = 16 * CHUNK_KEYS;

    private final StorageEngine engine;
    private final int self;

    /** Walks over {@code engine}, the data of node {@code self}. */
    OwnedKeyWalks(StorageEngine engine, int self) {
        this.engine = engine;
        this.self = self;
    }

    /** The scan position of {@code key}. */
    static long position(byte[] key) {
        long part = LeafLayout.part(Partitioner.token(key), PART_BITS);
        return (part << 32) | StorageEngine.scanOrder(key);
    }

    /** How many keys this node owns, how many of them carry a TTL, and their remaining TTLs summed (ms). */
    record Stats(long keys, long expires, long ttlSumMillis) {}

    /** DBSIZE and INFO keyspace of the keys this node owns. */
    Stats stats(KeyOwners owners, long nowMillis) {
        long[] s = new long[3];
        forEachOwned(owners, (key, state) -> {
            s[0]++;
            long at = state.expireAtMs();
            if (at > 0) {
                s[1]++;
                s[2] += Math.max(0, at - nowMillis);
            }
        });
        return new Stats(s[0], s[1], s[2]);
    }

    /** The keys this node owns matching {@code pattern} (KEYS). */
    List<byte[]> keys(KeyOwners owners, byte[] pattern) {
        boolean all = pattern.length == 1 && pattern[0] == '*';
        List<byte[]> out = new ArrayList<>();
        forEachOwned(owners, (key, state) -> {
            if (all || Glob.matches(pattern, key, false)) {
                out.add(key);
            }
        });
        return out;
    }

    /**
     * Visits every key this node owns once, walking the positions from 0 to {@link #END} a chunk
     * at a time (a stripe's lock is held for one chunk only); positions never repeat a key, even
     * when tables grow or shrink between chunks.
     */
    private void forEachOwned(KeyOwners owners, StorageEngine.KeyVisitor visitor) {
        long position = 0;
        while (position < END) {
            position = walk(owners, position, END, new StorageEngine.ScanBudget(CHUNK_KEYS, CHUNK_BUCKETS), visitor);
        }
    }

    /**
     * One page of a cluster SCAN: the keys this node owns from {@code position} on that pass
     * {@code options}' MATCH and TYPE, until about {@code wanted} owned keys were looked at; the
     * page's {@code reached} position (exclusive) is where the walk stopped: every owned key
     * between the two positions was looked at.
     */
    Page scan(KeyOwners owners, long position, int wanted, DataArgs.ScanOptions options) {
        List<byte[]> found = new ArrayList<>();
        StorageEngine.ScanBudget budget = new StorageEngine.ScanBudget(wanted,
                (int) Math.min(Integer.MAX_VALUE, (long) wanted * BUCKETS_PER_KEY));
        long reached = walk(owners, position, END, budget, (key, state) -> {
            if (options.matches(key) && options.typeMatches(state.type())) {
                found.add(key);
            }
        });
        return new Page(reached, found);
    }

    /** A page of a scan: the keys, and the position the walk reached (exclusive). */
    record Page(long reached, List<byte[]> keys) {}

    /**
     * The result of {@link #firstFrom}: the first owned key of the range walked (null when none)
     * and the position reached (exclusive), both counted from the range's start as
     * {@link #firstFrom} counts them.
     */
    record Found(byte[] key, long reached) {}

    /**
     * The first key this node owns in the range of positions from {@code start} up to
     * {@code stop} (exclusive) going round: {@code start} lies in {@code [0, END)} and {@code stop}
     * in {@code (start, start + END]}, a position {@code p} past the end counting as
     * {@code p + END} (RANDOMKEY: from a random position round to where it began). The walk stops
     * at the first owned key or after about {@code maxBuckets} hash buckets; it then reached a
     * position before {@code stop} without a key, from which a later call goes on.
     */
    Found firstFrom(KeyOwners owners, long start, long stop, int maxBuckets) {
        if (start < 0 || start >= END || stop <= start || stop > start + END) {
            throw new IllegalArgumentException("no range from " + start + " to " + stop);
        }
        StorageEngine.ScanBudget budget = new StorageEngine.ScanBudget(1, maxBuckets);
        long[] nearest = {Long.MAX_VALUE};
        byte[][] key = new byte[1][];
        StorageEngine.KeyVisitor keep = (k, state) -> {
            // With more stripes than parts, a part's stripes are not walked in position order.
            long p = position(k);
            if (p < nearest[0]) {
                nearest[0] = p;
                key[0] = k;
            }
        };
        long reached = walk(owners, start, Math.min(stop, END), budget, keep);
        if (key[0] == null && reached == END && stop > END && !budget.spent()) {
            reached = END + walk(owners, 0, stop - END, budget, keep);
        }
        return new Found(key[0], reached);
    }

    /**
     * Walks the owned keys from {@code position} part after part until the budget is spent or
     * {@code limit} (exclusive, at most {@link #END}) is reached; the position reached.
     */
    private long walk(KeyOwners owners, long position, long limit, StorageEngine.ScanBudget budget,
                      StorageEngine.KeyVisitor visitor) {
        int part = (int) (position >>> 32);
        long from = position & (PART_SIZE - 1);
        StorageEngine.CountingVisitor owned = (key, state) -> {
            if (owners.ownerOf(key) != self || (limit < END && position(key) >= limit)) {
                return false;
            }
            visitor.visit(key, state);
            return true;
        };
        while (part < PARTS && ((long) part << 32) < limit) {
            long reached = ((long) part << 32) + engine.scanPart(PART_BITS, part, from, budget, owned);
            if (reached >= limit) {
                return limit;
            }
            if (reached < (long) (part + 1) << 32) {
                return reached;
            }
            part++;
            from = 0;
            if (budget.spent()) {
                break;
            }
        }
        return Math.min(limit, (long) part << 32);
    }
}
