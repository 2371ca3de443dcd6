package io.converge.server.store;

import io.converge.crdt.KeyState;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One shard of the embedded keyspace: a lock, a hash table of {@link KeyEntry} (separate
 * chaining, power-of-two buckets indexed by the low bits of the key hash), the index of its keys
 * that carry a TTL (for active-expiry sampling), the keys waiting for tombstone GC, and its
 * counters. Every field is guarded by {@link #lock}; statistics may be read racily.
 *
 * <p><b>Scanning.</b> {@link #scanBuckets} walks buckets in Redis's reverse-binary cursor order
 * ({@code dictScan}): the cursor's bits are incremented from the top of the bucket mask down, so
 * a key present for the whole scan is visited at least once even when the table grows or shrinks
 * between calls (it may be visited twice after a shrink).
 */
final class Stripe {
    private static final int MIN_CAPACITY = 16;
    /** Buckets of removal versions, so an absent key's WATCH version rarely moves for other keys. */
    private static final int REMOVAL_BUCKETS = 16;

    final ReentrantLock lock = new ReentrantLock();

    private KeyEntry[] table = new KeyEntry[MIN_CAPACITY];
    /** Entries in the table (tombstones included). */
    private int size;

    /** Keys whose state has an expiry, in no order; {@code KeyEntry.ttlPos} is the index. */
    private KeyEntry[] ttl = new KeyEntry[4];
    private int ttlCount;

    /** Keys due for tombstone GC by the background cycle. */
    private KeyEntry[] gcQueue = new KeyEntry[4];
    private int gcCount;

    /** Entries whose anti-entropy digest is out of date (see {@link LeafDigests}); null while not tracked. */
    KeyEntry[] dirty;
    int dirtyCount;
    /** The engine's leaf digests, once tracked (entries leaving the table leave their leaf too). */
    LeafDigests leaves;

    /** Source of WATCH versions; removal versions are drawn from it too. */
    long versionCounter;
    private final long[] removedVersions = new long[REMOVAL_BUCKETS];

    /** Reusable accesses for {@code withKey}, one per nesting depth (the lock is reentrant). */
    private EmbeddedKeyAccess[] accessPool = new EmbeddedKeyAccess[2];
    private int accessDepth;

    /**
     * Whether an entry may hold something tombstone GC drops ({@code KeyState.gcMayChange}):
     * set whenever such a state settles, cleared by a sweep that leaves none behind. A stripe of
     * plain strings is then swept without visiting its entries.
     */
    boolean mayHoldTombstones = true;

    /** Entries whose state exists (DBSIZE counts these). */
    long existing;
    /** Keys removed because their TTL passed (INFO expired_keys). */
    long expiredKeys;
    /** Read lookups that found / did not find a live key (INFO keyspace_hits/misses). */
    long hits;
    long misses;

    // ------------------------------------------------------------------ table

    /** The entry of {@code key}, or null. */
    KeyEntry find(byte[] key, int hash) {
        KeyEntry e = table[hash & (table.length - 1)];
        while (e != null) {
            if (e.hash == hash && Arrays.equals(e.key, key)) {
                return e;
            }
            e = e.next;
        }
        return null;
    }

    /** Adds an entry for {@code key} (which must be absent) holding {@code state}. */
    KeyEntry insert(byte[] key, int hash, KeyState state) {
        if (size >= table.length) {
            resize(table.length << 1);
        }
        KeyEntry e = new KeyEntry(key, hash, state);
        int i = hash & (table.length - 1);
        e.next = table[i];
        table[i] = e;
        size++;
        e.version = ++versionCounter;
        return e;
    }

    /**
     * Unlinks {@code e} from the table and the indexes. {@code bumpVersion}: the key changed, so
     * an absent key's WATCH version must move (false only when an operation created the entry and
     * left it untouched).
     */
    void remove(KeyEntry e, boolean bumpVersion) {
        int i = e.hash & (table.length - 1);
        KeyEntry prev = null;
        KeyEntry cur = table[i];
        while (cur != null && cur != e) {
            prev = cur;
            cur = cur.next;
        }
        if (cur == null) {
            return; // already removed
        }
        if (prev == null) {
            table[i] = e.next;
        } else {
            prev.next = e.next;
        }
        e.next = null;
        e.removed = true;
        size--;
        if (e.counted) {
            existing--;
            e.counted = false;
        }
        if (e.ttlPos >= 0) {
            ttlRemove(e);
        }
        e.gcPending = false;
        if (leaves != null) {
            leaves.removed(e);
        }
        if (bumpVersion) {
            removedVersions[e.hash & (REMOVAL_BUCKETS - 1)] = ++versionCounter;
        }
        if (table.length > MIN_CAPACITY && size < table.length / 8) {
            resize(Math.max(MIN_CAPACITY, Integer.highestOneBit(Math.max(1, size)) << 1));
        }
    }

    /** The WATCH version of an absent key with {@code hash}. */
    long absentVersion(int hash) {
        return removedVersions[hash & (REMOVAL_BUCKETS - 1)];
    }

    /** Number of entries (tombstones included). */
    int size() {
        return size;
    }

    private void resize(int capacity) {
        KeyEntry[] old = table;
        KeyEntry[] fresh = new KeyEntry[capacity];
        int mask = capacity - 1;
        for (KeyEntry head : old) {
            KeyEntry e = head;
            while (e != null) {
                KeyEntry next = e.next;
                int i = e.hash & mask;
                e.next = fresh[i];
                fresh[i] = e;
                e = next;
            }
        }
        table = fresh;
    }

    // ------------------------------------------------------------------ scanning and sampling

    /** Receives the entries of a visited bucket. */
    interface EntryVisitor {
        /** Called for each entry; must not change the table. */
        void visit(KeyEntry e);
    }

    /**
     * Visits buckets from bucket cursor {@code v} until {@code progress[0]} (entries the visitor
     * counted as returned) reaches {@code wanted} or {@code progress[1]} (buckets visited) reaches
     * {@code maxBuckets} or the stripe is done; returns the next bucket cursor (0: done).
     */
    long scanBuckets(long v, int wanted, int maxBuckets, int[] progress, EntryVisitor visitor) {
        if (size == 0) {
            return 0;
        }
        long mask = table.length - 1;
        do {
            KeyEntry e = table[(int) (v & mask)];
            while (e != null) {
                KeyEntry next = e.next;
                visitor.visit(e);
                e = next;
            }
            progress[1]++;
            v = nextCursor(v, mask);
        } while (v != 0 && progress[0] < wanted && progress[1] < maxBuckets);
        return v;
    }

    /**
     * Visits, in {@link StorageEngine#scanOrder scan order} bucket by bucket, the entries whose
     * scan order lies in {@code [from, to)} ({@code to} at most 2^32), until {@code budget} is
     * spent (the visitor counts keys in it, this method the buckets visited);
     * returns the scan order reached (exclusive): every entry of the stripe with a scan order in
     * {@code [from, returned)} was visited, and no other. The scan order of a key is the reverse
     * of its hash's bits, so that the buckets of any table size hold contiguous ranges of it: a
     * position stays valid when the table grows or shrinks, or on another node's table.
     */
    long scanOrdered(long from, long to, StorageEngine.ScanBudget budget, EntryVisitor visitor) {
        if (size == 0 || from >= to) {
            return to;
        }
        int bits = Integer.numberOfTrailingZeros(table.length);
        int shift = 32 - bits;
        long mask = table.length - 1;
        long ordinal = from >>> shift; // buckets in scan order: the reversed bucket index
        long buckets = 1L << bits;
        while (ordinal < buckets) {
            int bucket = (int) (Integer.reverse((int) (ordinal << shift)) & mask);
            KeyEntry e = table[bucket];
            while (e != null) {
                KeyEntry next = e.next;
                long order = Integer.toUnsignedLong(Integer.reverse(e.hash));
                if (order >= from && order < to) {
                    visitor.visit(e);
                }
                e = next;
            }
            budget.buckets++;
            ordinal++;
            long reached = ordinal << shift;
            if (reached >= to) {
                return to;
            }
            if (budget.spent()) {
                return reached;
            }
        }
        return to;
    }

    /** Redis's reverse-binary increment of a bucket cursor under {@code mask}. */
    static long nextCursor(long v, long mask) {
        v |= ~mask;
        v = Long.reverse(v);
        v++;
        return Long.reverse(v);
    }

    /** A uniformly chosen bucket's chain head among non-empty buckets (null if none), using {@code random}. */
    KeyEntry randomEntry(java.util.random.RandomGenerator random) {
        if (size == 0) {
            return null;
        }
        KeyEntry[] t = table;
        // Sparse tables are at least 1/8 full (we shrink below that), so this ends quickly.
        for (int attempt = 0; attempt < 64; attempt++) {
            KeyEntry head = t[random.nextInt(t.length)];
            if (head != null) {
                return pickInChain(head, random);
            }
        }
        int start = random.nextInt(t.length);
        for (int i = 0; i < t.length; i++) {
            KeyEntry head = t[(start + i) & (t.length - 1)];
            if (head != null) {
                return pickInChain(head, random);
            }
        }
        return null;
    }

    private static KeyEntry pickInChain(KeyEntry head, java.util.random.RandomGenerator random) {
        int n = 0;
        for (KeyEntry e = head; e != null; e = e.next) {
            n++;
        }
        KeyEntry e = head;
        for (int k = random.nextInt(n); k > 0; k--) {
            e = e.next;
        }
        return e;
    }

    /** Visits every entry (used with the lock held, e.g. by tests and full iterations). */
    void forEach(EntryVisitor visitor) {
        for (KeyEntry head : table) {
            KeyEntry e = head;
            while (e != null) {
                KeyEntry next = e.next;
                visitor.visit(e);
                e = next;
            }
        }
    }

    // ------------------------------------------------------------------ TTL index

    /** Number of keys with an expiry. */
    int ttlCount() {
        return ttlCount;
    }

    /** The i-th key of the TTL index (0 <= i < ttlCount). */
    KeyEntry ttlAt(int i) {
        return ttl[i];
    }

    void ttlAdd(KeyEntry e) {
        if (ttlCount == ttl.length) {
            ttl = Arrays.copyOf(ttl, ttl.length << 1);
        }
        ttl[ttlCount] = e;
        e.ttlPos = ttlCount++;
    }

    void ttlRemove(KeyEntry e) {
        int p = e.ttlPos;
        KeyEntry last = ttl[--ttlCount];
        ttl[p] = last;
        last.ttlPos = p;
        ttl[ttlCount] = null;
        e.ttlPos = -1;
        if (ttl.length > 16 && ttlCount < ttl.length / 4) {
            ttl = Arrays.copyOf(ttl, ttl.length >> 1);
        }
    }

    // ------------------------------------------------------------------ GC queue

    /** Queues {@code e} for tombstone GC by the background cycle (once). */
    void queueGc(KeyEntry e) {
        if (e.gcPending) {
            return;
        }
        e.gcPending = true;
        if (gcCount == gcQueue.length) {
            gcQueue = Arrays.copyOf(gcQueue, gcQueue.length << 1);
        }
        gcQueue[gcCount++] = e;
    }

    /** Number of queued GC entries (some may have been removed meanwhile). */
    int gcQueued() {
        return gcCount;
    }

    /** Takes the most recently queued entry still pending, or null. */
    KeyEntry pollGc() {
        while (gcCount > 0) {
            KeyEntry e = gcQueue[--gcCount];
            gcQueue[gcCount] = null;
            if (e.gcPending) {
                e.gcPending = false;
                return e;
            }
        }
        if (gcQueue.length > 64) {
            gcQueue = new KeyEntry[4];
        }
        return null;
    }

    // ------------------------------------------------------------------ access pool

    /** A reusable access for the next nesting level (lock held). */
    EmbeddedKeyAccess borrowAccess(EmbeddedEngine engine) {
        if (accessDepth == accessPool.length) {
            accessPool = Arrays.copyOf(accessPool, accessPool.length << 1);
        }
        EmbeddedKeyAccess a = accessPool[accessDepth];
        if (a == null) {
            a = new EmbeddedKeyAccess(engine);
            accessPool[accessDepth] = a;
        }
        accessDepth++;
        return a;
    }

    /** Returns the access borrowed last. */
    void returnAccess() {
        accessDepth--;
    }
}
