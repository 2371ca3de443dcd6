package io.converge.server.store;

import io.converge.crdt.Bytes;
import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.KeyState;
import io.converge.crdt.PhysicalClock;
import io.converge.server.config.LiveConfig;
import io.converge.server.keyspace.LeafLayout;
import io.converge.server.keyspace.Partitioner;
import io.converge.server.node.InfoRegistry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded storage engine (DESIGN §6): every key's {@link KeyState} in memory, in a keyspace
 * split into lock-striped shards ({@link Stripe}), stamped by this node's hybrid logical clock.
 *
 * <p><b>Locking.</b> A key belongs to the stripe chosen by the top bits of its hash; an operation
 * on one key holds that stripe's lock (one lock, one hash lookup). Multi-key operations and
 * {@link #runExclusive} lock the stripes they need in index order, so they cannot deadlock with
 * each other; the locks are reentrant, so EXEC's body may run handlers that call
 * {@link #withKey}. Operations must not lock stripes they did not declare (a scan visitor must
 * not call back into the engine).
 *
 * <p><b>Bookkeeping.</b> After an operation that wrote (or a merge, or an expiry purge) the
 * engine settles the key once: a new WATCH version, its existence count (DBSIZE), the TTL index,
 * the memory estimate ({@link DatasetEstimate}); a key left deleted has its tombstones collected
 * per the {@link TombstonePolicy} and, if nothing remains ({@code KeyState.isGarbage()}), is
 * removed from the map. A state that still holds delete records (a set's causal context, or
 * tombstones the policy does not allow to drop yet) stays as an invisible entry.
 *
 * <p><b>Expiry.</b> Lazy: an access to a key whose TTL passed purges it first
 * ({@code KeyState.purgeExpired}, delta reported). Active: {@link ActiveExpiry} samples keys with a
 * TTL, as Redis's {@code activeExpireCycle}, {@code hz} times per second.
 *
 * <p><b>WATCH versions.</b> Present keys carry a version drawn from their stripe's counter and
 * renewed on every change. An absent key reports the version of the last removal in its stripe
 * bucket, so a key deleted (or expired) after WATCH fails EXEC; a removal of another key of the
 * same stripe bucket can make EXEC fail too (conservative, never the reverse).
 *
 * <p><b>Deltas.</b> Every local write's delta goes to the {@link DeltaListener}s, under the key's
 * lock, in order per key; deltas joined with {@link #merge} do not.
 */
public final class EmbeddedEngine implements StorageEngine {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedEngine.class);

    private final EngineSettings settings;
    private volatile long replicaId;
    private final ProcessIdentity processIdentity;
    private final PhysicalClock physical;
    private final HybridLogicalClock clock;
    private final Stripe[] stripes;
    private final int stripeBits;
    private final LongAdder datasetBytes = new LongAdder();
    private volatile DeltaListener[] listeners = new DeltaListener[0];
    private volatile TombstonePolicy tombstones;
    private volatile LeafDigests leaves;
    private volatile KeyListener keyListener;
    private volatile java.util.function.Consumer<byte[]> changeListener;
    private volatile Durability durability;
    private final ActiveExpiry activeExpiry;

    /** An engine for a node: settings from its configuration {@code config}, INFO sections registered in {@code info}. */
    public static EmbeddedEngine forNode(LiveConfig config, String nodeId, InfoRegistry info) {
        EmbeddedEngine engine = new EmbeddedEngine(EngineSettings.fromConfig(config, nodeId));
        if (config.current().clustered()) {
            // Not the only replica: no tombstone may go until the cluster's horizon passes it (the
            // replication installs that policy). Above all not while the log is replayed: a delete
            // replayed before the write it removed (they reached this node in that order) must
            // still be there when the write is replayed.
            engine.tombstonePolicy(TombstonePolicy.KEEP_ALL);
        }
        EngineInfo.register(engine, info, config);
        return engine;
    }

    /** A standalone engine with {@code settings}. */
    public EmbeddedEngine(EngineSettings settings) {
        this.settings = settings;
        this.replicaId = settings.replicaId();
        this.processIdentity = new ProcessIdentity(this);
        this.physical = settings.clock();
        this.clock = new HybridLogicalClock(settings.clock(), settings.maxClockDriftMs());
        this.stripes = new Stripe[settings.stripes()];
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Stripe();
        }
        this.stripeBits = Integer.numberOfTrailingZeros(stripes.length);
        this.tombstones = TombstonePolicy.singleReplica(clock);
        this.activeExpiry = new ActiveExpiry(this, settings.hz(), settings.activeExpire());
    }

    // ------------------------------------------------------------------ Engine

    @Override
    public String name() {
        return "embedded";
    }

    /**
     * Loads the saved data through the attached {@link Durability} (if any), then starts the
     * background cycle (active expiry, tombstone GC).
     */
    @Override
    public void start() throws Exception {
        Durability d = durability;
        if (d != null) {
            d.start();
        }
        activeExpiry.start();
    }

    /** Stops the background cycle, then flushes and closes the attached {@link Durability}. */
    @Override
    public void close() {
        activeExpiry.stop();
        Durability d = durability;
        if (d != null) {
            d.close();
        }
    }

    /** Waits until the writes applied so far are as durable as the attached {@link Durability} promises. */
    @Override
    public void awaitDurable() {
        Durability d = durability;
        if (d != null) {
            d.awaitDurable();
        }
    }

    /** As {@link #awaitDurable()}, for a batch of replies (see {@link Engine#awaitDurable(boolean)}). */
    @Override
    public void awaitDurable(boolean acknowledgesWrites) {
        Durability d = durability;
        if (d != null) {
            d.awaitDurable(acknowledgesWrites);
        }
    }

    /** The attached {@link Durability}'s refusal of write commands (MISCONF while its log fails), or null. */
    @Override
    public String writeRefusal() {
        Durability d = durability;
        return d == null ? null : d.writeRefusal();
    }

    /**
     * What makes the engine's data survive a restart (the append-only log and snapshots of
     * {@code store.persist}). Attached before {@link #start()}; the engine starts it before its
     * background cycle (it loads the data and starts recording deltas), forwards
     * {@link #awaitDurable()} to it and closes it last.
     */
    public interface Durability {
        /** Loads the saved state into the engine and starts recording writes. */
        void start() throws Exception;

        /** Waits until the writes applied so far are as durable as configured. */
        void awaitDurable();

        /** {@link #awaitDurable()} for a batch of replies (see {@link Engine#awaitDurable(boolean)}). */
        default void awaitDurable(boolean acknowledgesWrites) {
            awaitDurable();
        }

        /** Why write commands must be refused now (see {@link Engine#writeRefusal()}), or null. */
        default String writeRefusal() {
            return null;
        }

        /**
         * Whether deltas can be recorded now; false while the log cannot be written, when the
         * engine postpones expiry purges (reads treat an expired key as gone anyway), so that
         * nothing but the writes already running adds to the log's memory.
         */
        default boolean canRecord() {
            return true;
        }

        /**
         * Records a delta merged from a replica so that it survives a restart like a local write;
         * called under the key's lock before the state changes. Throws
         * {@link MergeRefusedException} if it cannot be recorded now (the merge is then refused).
         */
        default void logMerged(byte[] key, KeyState delta) {}

        /**
         * {@link #logMerged(byte[], KeyState)} of a delta whose CRDT encoding is
         * {@code encoding[offset..]} (as a replica sent it): may record those bytes rather than
         * encode the delta again.
         */
        default void logMerged(byte[] key, KeyState delta, byte[] encoding, int offset) {
            logMerged(key, delta, encoding, offset, encoding.length - offset);
        }

        /**
         * {@link #logMerged(byte[], KeyState)} of a delta whose CRDT encoding is
         * {@code encoding[offset..offset + length)}: may record those bytes rather than encode the
         * delta again.
         */
        default void logMerged(byte[] key, KeyState delta, byte[] encoding, int offset, int length) {
            logMerged(key, delta);
        }

        /**
         * Records a state joined by read repair if it can be recorded now; otherwise skips it
         * (see {@link StorageEngine#mergeRepair}). Called under the key's lock.
         */
        default void logRepaired(byte[] key, KeyState state) {
            logMerged(key, state);
        }

        /**
         * States are arriving in bulk (a hash-tree catch-up): an automatic log rewrite now would
         * snapshot a half-built dataset and soon be due again, so it may wait a moment.
         */
        default void bulkInflow() {}

        /** Writes and forces everything, then stops. */
        void close();
    }

    /** Attaches the durability layer; call once, before {@link #start()}. */
    public void attachDurability(Durability durability) {
        if (this.durability != null) {
            throw new IllegalStateException("a durability layer is attached already");
        }
        this.durability = durability;
    }

    @Override
    public void runExclusive(List<byte[]> keys, boolean wholeKeyspace, Runnable body) {
        boolean[] marked = null;
        if (!wholeKeyspace) {
            marked = new boolean[stripes.length];
            for (byte[] k : keys) {
                marked[stripeOf(k)] = true;
            }
        }
        int locked = 0;
        try {
            for (; locked < stripes.length; locked++) {
                if (marked == null || marked[locked]) {
                    stripes[locked].lock.lock();
                }
            }
            body.run();
        } finally {
            for (int i = locked - 1; i >= 0; i--) {
                if (marked == null || marked[i]) {
                    stripes[i].lock.unlock();
                }
            }
        }
    }

    @Override
    public long keyVersion(byte[] key) {
        int h = hash(key);
        Stripe s = stripes[stripeOf(key)];
        s.lock.lock();
        try {
            KeyEntry e = s.find(key, h);
            long now = physical.millis();
            if (e != null && e.state.isExpired(now)) {
                if (!expiryCollectable(e)) {
                    return ~e.version; // expired, not yet purged: a version the live key never had
                }
                if (!purgeExpired(s, e, now)) {
                    e = null;
                }
            }
            return e != null ? e.version : s.absentVersion(h);
        } finally {
            s.lock.unlock();
        }
    }

    /** Whether the dataset estimate exceeds {@code maxmemory} (policy noeviction: DENYOOM commands are refused). */
    @Override
    public boolean overMemoryLimit() {
        long max = settings.maxmemory().getAsLong();
        return max > 0 && datasetBytes.sum() > max;
    }

    // ------------------------------------------------------------------ StorageEngine

    @Override
    public long replicaId() {
        return replicaId;
    }

    /**
     * Switches to replica id {@code id} (a new incarnation, see {@link ReplicaIdentity}): every
     * stamp, dot and contribution created from now on names it. Set by the identity keeper,
     * before the node serves, or when it learns it lost state.
     */
    @Override
    public void replicaId(long id) {
        if (id < 0) {
            throw new IllegalArgumentException("replica ids are non-negative: " + id);
        }
        this.replicaId = id;
    }

    /**
     * This replica's identity keeper: the attached durability layer when it keeps one (the
     * {@code incarnation} file), otherwise one that lives as long as this engine.
     */
    public ReplicaIdentity identity() {
        return durability instanceof ReplicaIdentity id ? id : processIdentity;
    }

    /**
     * Forgets every key, without reporting anything to the delta listeners (this is no write: no
     * replica must apply it): the first step of rebuilding a replica whose state can no longer be
     * trusted, which then pulls everything from its peers. The durability layer is told nothing
     * here; the caller makes the log forget too ({@link ReplicaIdentity#rebuilt}).
     */
    public void clearLocally() {
        runExclusive(List.of(), true, () -> {
            for (Stripe s : stripes) {
                List<KeyEntry> entries = new ArrayList<>(s.size());
                s.forEach(entries::add);
                for (KeyEntry e : entries) {
                    datasetBytes.add(-e.accountedBytes);
                    e.accountedBytes = 0;
                    s.remove(e, true);
                }
            }
        });
    }

    @Override
    public <R> R withKey(byte[] key, KeyOperation<R> op) {
        int h = hash(key);
        Stripe s = stripes[stripeOf(key)];
        s.lock.lock();
        EmbeddedKeyAccess a = s.borrowAccess(this);
        try {
            a.open(s, key, h, physical.millis());
            try {
                return op.apply(a);
            } finally {
                finish(a);
            }
        } finally {
            a.clear();
            s.returnAccess();
            s.lock.unlock();
        }
    }

    @Override
    public <R> R withKeys(byte[][] keys, MultiKeyOperation<R> op) {
        int n = keys.length;
        int[] hashes = new int[n];
        int[] stripeOfKey = new int[n];
        boolean[] marked = new boolean[stripes.length];
        for (int i = 0; i < n; i++) {
            hashes[i] = hash(keys[i]);
            stripeOfKey[i] = stripeOf(keys[i]);
            marked[stripeOfKey[i]] = true;
        }
        int locked = 0;
        try {
            for (; locked < stripes.length; locked++) {
                if (marked[locked]) {
                    stripes[locked].lock.lock();
                }
            }
            long now = physical.millis();
            EmbeddedKeyAccess[] accesses = new EmbeddedKeyAccess[n];
            // Duplicates share one access: a quadratic check for the usual few keys, a map beyond.
            HashMap<Bytes, EmbeddedKeyAccess> seen =
                    n > 16 ? new HashMap<>(n * 2) : null;
            for (int i = 0; i < n; i++) {
                if (seen != null) {
                    accesses[i] = seen.get(Bytes.wrap(keys[i]));
                } else {
                    for (int j = 0; j < i; j++) {
                        if (hashes[j] == hashes[i] && Arrays.equals(keys[j], keys[i])) {
                            accesses[i] = accesses[j];
                            break;
                        }
                    }
                }
                if (accesses[i] == null) {
                    accesses[i] = new EmbeddedKeyAccess(this);
                    accesses[i].open(stripes[stripeOfKey[i]], keys[i], hashes[i], now);
                    if (seen != null) {
                        seen.put(Bytes.wrap(keys[i]), accesses[i]);
                    }
                }
            }
            try {
                return op.apply(accesses);
            } finally {
                for (int i = 0; i < n; i++) {
                    if (accesses[i].key != null) {
                        finish(accesses[i]);
                        accesses[i].clear();
                    }
                }
            }
        } finally {
            for (int i = locked - 1; i >= 0; i--) {
                if (marked[i]) {
                    stripes[i].lock.unlock();
                }
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The merged delta is recorded by the attached {@link Durability} (the append-only log),
     * so what a replica acknowledged survives its restart. It is recorded first: if the log
     * refuses it ({@link MergeRefusedException}, the log cannot be written) the state is unchanged.
     *
     * <p>The clock is not touched: the replication layer applies the HLC receive rule to the
     * stamps its messages carry ({@code clock().receive}), so that later local writes are stamped
     * after what was merged. The key array is copied if the key is new.
     */
    @Override
    public void merge(byte[] key, KeyState delta) {
        merge(key, delta, null, 0, 0, false, false);
    }

    @Override
    public void merge(byte[] key, KeyState delta, byte[] encoding, int offset) {
        merge(key, delta, encoding, offset, encoding.length - offset, false, false);
    }

    /**
     * {@inheritDoc}
     *
     * <p>A key this engine does not hold yet takes {@code key} as it is and, when the state is a
     * plain string and nothing else, the state object itself: joining a state into nothing gives
     * that state, so copying it into a new one would only make garbage.
     */
    @Override
    public boolean mergeReceived(byte[] key, KeyState state, byte[] encoding, int offset, int length) {
        return merge(key, state, encoding, offset, length, false, true);
    }

    /** Joins a read-repair state: as {@link #merge}, but logged only if the log can take it now. */
    @Override
    public void mergeRepair(byte[] key, KeyState state) {
        merge(key, state, null, 0, 0, true, false);
    }

    /**
     * Merges {@code delta}; the log records {@code encoding[offset..offset + length)} when it is
     * given (its encoding). {@code owned}: the caller hands {@code key} and {@code delta} over.
     * Returns true when the key is known to hold exactly {@code delta} afterwards (a new key that
     * took it, or a plain string it replaced or equalled).
     */
    private boolean merge(byte[] key, KeyState delta, byte[] encoding, int offset, int length, boolean repair,
                          boolean owned) {
        int h = hash(key);
        Stripe s = stripes[stripeOf(key)];
        s.lock.lock();
        try {
            Durability d = durability;
            if (d != null) {
                // Before any change (same key lock, so the log order per key is the merge order).
                if (repair) {
                    d.logRepaired(key, delta);
                } else if (encoding != null) {
                    d.logMerged(key, delta, encoding, offset, length);
                } else {
                    d.logMerged(key, delta);
                }
            }
            KeyEntry e = s.find(key, h);
            if (e == null) {
                if (owned && delta.isPlainString()) {
                    // Adopted: the join of nothing and this state is this state.
                    e = s.insert(key, h, delta);
                    settle(s, e, 0, true);
                    tellChanged(key);
                    return true;
                }
                e = s.insert(owned ? key : key.clone(), h, new KeyState());
            }
            // A key that expired here but was not purged yet, removed by the merge: another
            // replica's purge of the same expiry (told to the listener as an expiry of this node's).
            boolean expiredHere = e.state.exists() && e.state.isExpired(physical.millis());
            e.state.merge(delta);
            boolean holdsDelta = e.state.isSamePlainString(delta);
            boolean gone = !e.state.exists();
            settle(s, e, DatasetEstimate.deltaPayload(delta), true);
            if (expiredHere && gone) {
                tellExpired(key);
            }
            tellChanged(key);
            return holdsDelta;
        } finally {
            s.lock.unlock();
        }
    }

    @Override
    public void bulkInflow() {
        Durability d = durability;
        if (d != null) {
            d.bulkInflow();
        }
    }

    @Override
    public <T> T readState(byte[] key, Function<KeyState, T> reader) {
        int h = hash(key);
        Stripe s = stripes[stripeOf(key)];
        s.lock.lock();
        try {
            KeyEntry e = s.find(key, h);
            return reader.apply(e == null ? null : e.state);
        } finally {
            s.lock.unlock();
        }
    }

    @Override
    public KeyState stateCopy(byte[] key) {
        int h = hash(key);
        Stripe s = stripes[stripeOf(key)];
        s.lock.lock();
        try {
            KeyEntry e = s.find(key, h);
            return e == null ? null : e.state.copy();
        } finally {
            s.lock.unlock();
        }
    }

    @Override
    public long memoryUsage(byte[] key) {
        return withKey(key, a -> ((EmbeddedKeyAccess) a).memoryUsage());
    }

    /**
     * Number of existing keys, as Redis's DBSIZE counts them: keys whose TTL passed count until
     * they are purged (by access or by the background cycle, within about one cycle).
     */
    @Override
    public long size() {
        long n = 0;
        for (Stripe s : stripes) {
            n += s.existing;
        }
        return n;
    }

    /** Number of entries held, invisible ones (tombstones, expired keys not yet purged) included. */
    public long entries() {
        long n = 0;
        for (Stripe s : stripes) {
            n += s.size();
        }
        return n;
    }

    /**
     * Redis-style SCAN over the stripes: the cursor's low bits are the stripe index, the rest is
     * that stripe's reverse-binary bucket cursor (see {@link Stripe}). Invisible entries are
     * skipped; expired keys are skipped and purged (their deletes reported as deltas).
     */
    @Override
    public long scan(long cursor, int count, KeyVisitor visitor) {
        int bits = Integer.numberOfTrailingZeros(stripes.length);
        int si = (int) (cursor & (stripes.length - 1));
        long v = cursor >>> bits;
        int wanted = Math.max(1, count);
        int maxBuckets = (int) Math.min(Integer.MAX_VALUE, wanted * 10L);
        int[] progress = new int[2];
        long now = physical.millis();
        List<KeyEntry> expired = new ArrayList<>(0);
        Stripe.EntryVisitor liveOnly = e -> {
            KeyState st = e.state;
            if (st.isExpired(now)) {
                expired.add(e);
            } else if (st.exists()) {
                progress[0]++;
                visitor.visit(e.key, st);
            }
        };
        while (true) {
            Stripe s = stripes[si];
            if (s.size() == 0) {
                // Racy but safe: a key inserted meanwhile was not present for the whole scan.
                v = 0;
            } else {
                s.lock.lock();
                try {
                    v = s.scanBuckets(v, wanted, maxBuckets, progress, liveOnly);
                    // Expired keys met are purged, as Redis's SCAN does, after the buckets were
                    // walked: a resize this causes is a change between calls, which the cursor
                    // order tolerates.
                    for (KeyEntry e : expired) {
                        if (!e.removed && expiryCollectable(e)) {
                            purgeExpired(s, e, now);
                        }
                    }
                    expired.clear();
                } finally {
                    s.lock.unlock();
                }
            }
            if (v == 0) {
                si++;
                if (si == stripes.length) {
                    return 0;
                }
            }
            if (progress[0] >= wanted || progress[1] >= maxBuckets) {
                return (v << bits) | si;
            }
        }
    }

    /**
     * Walks one token part in scan order (see {@link StorageEngine#scanPart}). With as many
     * stripes as parts (the default) that is one stripe's buckets under its lock. With fewer
     * stripes, the part's keys are those of its stripe in that part; with more, the part spans
     * several stripes: the fullest one is walked within the budget and the others up to the same
     * scan order, so the position returned holds for all of them.
     */
    @Override
    public long scanPart(int partBits, int part, long from, ScanBudget budget, CountingVisitor visitor) {
        if (partBits < 0 || partBits > 30 || part < 0 || part >= (1 << partBits) || from < 0 || from > END_OF_PART) {
            throw new IllegalArgumentException("no part " + part + " of " + partBits + " bits from " + from);
        }
        long now = physical.millis();
        Stripe.EntryVisitor live = e -> {
            KeyState st = e.state;
            if (!st.isExpired(now) && st.exists()
                    && (partBits <= stripeBits || LeafLayout.part(Partitioner.token(e.key), partBits) == part)
                    && visitor.visit(e.key, st)) {
                budget.counted++;
            }
        };
        if (partBits >= stripeBits) {
            return walkOrdered(stripes[part >>> (partBits - stripeBits)], from, END_OF_PART, budget, live);
        }
        int first = part << (stripeBits - partBits);
        int n = 1 << (stripeBits - partBits);
        int fullest = first;
        for (int i = first + 1; i < first + n; i++) {
            if (stripes[i].size() > stripes[fullest].size()) {
                fullest = i;
            }
        }
        long reached = walkOrdered(stripes[fullest], from, END_OF_PART, budget, live);
        ScanBudget rest = new ScanBudget(Integer.MAX_VALUE, Integer.MAX_VALUE);
        for (int i = first; i < first + n; i++) {
            if (i != fullest) {
                walkOrdered(stripes[i], from, reached, rest, live);
            }
        }
        return reached;
    }

    /** One past the last {@link StorageEngine#scanOrder}: a part walked to the end. */
    private static final long END_OF_PART = 1L << 32;

    private static long walkOrdered(Stripe s, long from, long to, ScanBudget budget, Stripe.EntryVisitor visitor) {
        s.lock.lock();
        try {
            return s.scanOrdered(from, to, budget, visitor);
        } finally {
            s.lock.unlock();
        }
    }

    /**
     * A random existing, unexpired key (RANDOMKEY), or null if there is none. Expired keys met on
     * the way are purged, as Redis does.
     */
    @Override
    public byte[] randomKey() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (size() == 0) {
            return null;
        }
        for (int attempt = 0; attempt < 100; attempt++) {
            Stripe s = pickNonEmptyStripe(random);
            if (s == null) {
                return null;
            }
            s.lock.lock();
            try {
                KeyEntry e = s.randomEntry(random);
                if (e == null) {
                    continue;
                }
                long now = physical.millis();
                if (e.state.isExpired(now)) {
                    if (expiryCollectable(e)) {
                        purgeExpired(s, e, now);
                    }
                    continue;
                }
                if (e.state.exists()) {
                    return e.key;
                }
            } finally {
                s.lock.unlock();
            }
        }
        // Mostly invisible entries: fall back to a scan for the first live key.
        byte[][] found = new byte[1][];
        long cursor = 0;
        do {
            cursor = scan(cursor, 100, (k, st) -> {
                if (found[0] == null) {
                    found[0] = k;
                }
            });
        } while (found[0] == null && cursor != 0);
        return found[0];
    }

    private Stripe pickNonEmptyStripe(ThreadLocalRandom random) {
        // Weighted by existing keys, so every key is about equally likely.
        long total = 0;
        for (Stripe s : stripes) {
            total += Math.max(0, s.existing);
        }
        if (total <= 0) {
            return null;
        }
        long pick = random.nextLong(total);
        for (Stripe s : stripes) {
            pick -= Math.max(0, s.existing);
            if (pick < 0) {
                return s;
            }
        }
        return stripes[stripes.length - 1];
    }

    @Override
    public synchronized void addDeltaListener(DeltaListener listener) {
        DeltaListener[] current = listeners;
        DeltaListener[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = listener;
        listeners = next;
    }

    // ------------------------------------------------------------------ extras

    /** Number of partitions (stripes) for {@link #forEachState}. */
    public int partitions() {
        return stripes.length;
    }

    /**
     * Visits every state held in partition {@code partition} (0 <= partition < {@link
     * #partitions()}), invisible ones (tombstones, a deleted set's context) and expired-but-not-
     * purged ones included, with the partition locked: for snapshots and full sync. The visitor
     * must be quick, must not call back into the engine and must not keep the state.
     */
    public void forEachState(int partition, KeyVisitor visitor) {
        Stripe s = stripes[partition];
        s.lock.lock();
        try {
            s.forEach(e -> visitor.visit(e.key, e.state));
        } finally {
            s.lock.unlock();
        }
    }

    // ------------------------------------------------------------------ anti-entropy leaves

    /** Receives one key of a leaf with its digest. */
    @FunctionalInterface
    public interface KeyDigestVisitor {
        /**
         * Called with the leaf, the key bytes (do not keep or mutate), the digest of its state and
         * the state's {@link KeyState#latestWriteHlc() latest write}.
         */
        void visit(int leaf, byte[] key, long digest, long latest);
    }

    /**
     * Starts keeping the digests of the hash-tree leaves of {@code layout} ({@link LeafDigests}),
     * from now on for every change; every key held now is hashed at the first read. Call before
     * the leaves are read (the cluster does, with a layout cut at its ring's tokens); calling it
     * again with the same layout does nothing. The layout must have at least as many slices as the
     * engine has stripes.
     */
    public void trackLeaves(LeafLayout layout) {
        int stripeBits = Integer.numberOfTrailingZeros(stripes.length);
        if (layout.sliceBits() < stripeBits) {
            throw new IllegalArgumentException("a leaf layout of " + layout.sliceBits() + " slice bits does not nest in "
                    + stripes.length + " stripes");
        }
        LeafDigests current = leaves;
        if (current != null) {
            if (!current.layout.equals(layout)) {
                throw new IllegalStateException("leaves are tracked already, with another layout");
            }
            return; // the same layout (a replication restarted over a kept engine)
        }
        LeafDigests tracked = new LeafDigests(layout, stripeBits);
        runExclusive(List.of(), true, () -> {
            for (Stripe s : stripes) {
                s.dirty = new KeyEntry[Math.max(16, s.size())];
                s.dirtyCount = 0;
                s.leaves = tracked;
                s.forEach(e -> LeafDigests.markDirty(s, e));
            }
            leaves = tracked;
        });
    }

    /** The tracked leaf layout, or null when leaves are not tracked (a single node). */
    public LeafLayout leafLayout() {
        LeafDigests l = leaves;
        return l == null ? null : l.layout;
    }

    /**
     * Reads the current digest and key count of every leaf in {@code leaves} (ascending) into
     * {@code digests} and {@code keyCounts} (either may be null), hashing changed keys first.
     * Locks one stripe at a time: leaves of different stripes are not read at one instant.
     */
    public void leafDigests(int[] leafIds, long[] digests, int[] keyCounts) {
        LeafDigests l = requireLeaves();
        int i = 0;
        while (i < leafIds.length) {
            int s = l.stripeOfLeaf(leafIds[i]);
            int end = l.endLeaf(s);
            Stripe stripe = stripes[s];
            stripe.lock.lock();
            try {
                l.refresh(stripe);
                for (; i < leafIds.length && leafIds[i] < end; i++) {
                    if (digests != null) {
                        digests[i] = l.digest(leafIds[i]);
                    }
                    if (keyCounts != null) {
                        keyCounts[i] = l.keys(leafIds[i]);
                    }
                }
            } finally {
                stripe.lock.unlock();
            }
        }
    }

    /**
     * Visits every key held in the leaves {@code leafIds} (ascending), tombstones included, with
     * its current digest; one stripe locked at a time, the visitor must be quick and must not call
     * back into the engine.
     */
    public void forEachKeyDigest(int[] leafIds, KeyDigestVisitor visitor) {
        LeafDigests l = requireLeaves();
        int i = 0;
        while (i < leafIds.length) {
            int s = l.stripeOfLeaf(leafIds[i]);
            int from = i;
            int end = l.endLeaf(s);
            while (i < leafIds.length && leafIds[i] < end) {
                i++;
            }
            int to = i;
            int first = l.firstLeaf(s);
            boolean[] wanted = new boolean[end - first];
            for (int k = from; k < to; k++) {
                wanted[leafIds[k] - first] = true;
            }
            Stripe stripe = stripes[s];
            stripe.lock.lock();
            try {
                l.refresh(stripe);
                stripe.forEach(e -> {
                    int leaf = e.leaf;
                    if (leaf >= first && leaf < end && wanted[leaf - first]) {
                        visitor.visit(leaf, e.key, e.digest, e.state.latestWriteHlc());
                    }
                });
            } finally {
                stripe.lock.unlock();
            }
        }
    }

    /** The partition ({@link #forEachState}'s) leaf {@code leaf} of the tracked layout lies in. */
    public int partitionOfLeaf(int leaf) {
        return requireLeaves().stripeOfLeaf(leaf);
    }

    /** The digest of {@code key}'s state, or 0 when none is held. */
    public long keyDigest(byte[] key) {
        LeafDigests l = requireLeaves();
        int h = hash(key);
        Stripe s = stripes[stripeOf(key)];
        s.lock.lock();
        try {
            KeyEntry e = s.find(key, h);
            return e == null ? 0 : l.digestOfEntry(s, e);
        } finally {
            s.lock.unlock();
        }
    }

    private LeafDigests requireLeaves() {
        LeafDigests l = leaves;
        if (l == null) {
            throw new IllegalStateException("leaf digests are not tracked (trackLeaves was not called)");
        }
        return l;
    }

    /** The wall clock (ms since the epoch) the HLC and expiry follow. */
    public long wallMillis() {
        return physical.millis();
    }

    /** This node's hybrid logical clock (replication applies its receive rule to remote stamps). */
    public HybridLogicalClock clock() {
        return clock;
    }

    /** Replaces the tombstone GC policy (the cluster installs "acknowledged by all replicas"). */
    public void tombstonePolicy(TombstonePolicy policy) {
        this.tombstones = policy;
    }

    /** The current estimate of dataset bytes (what {@code maxmemory} is compared with). */
    public long datasetBytes() {
        return datasetBytes.sum();
    }

    /** Number of keys carrying a TTL (INFO keyspace {@code expires}). */
    public long keysWithExpiry() {
        long n = 0;
        for (Stripe s : stripes) {
            n += s.ttlCount();
        }
        return n;
    }

    /** Entries held only for their delete records (invisible keys awaiting GC or keeping set contexts). */
    public long tombstoneEntries() {
        long n = 0;
        for (Stripe s : stripes) {
            n += s.size() - s.existing;
        }
        return n;
    }

    /** Keys removed because their TTL passed (lazily or actively). */
    public long expiredKeys() {
        long n = 0;
        for (Stripe s : stripes) {
            n += s.expiredKeys;
        }
        return n;
    }

    /** Read lookups that found a live key. */
    public long keyspaceHits() {
        long n = 0;
        for (Stripe s : stripes) {
            n += s.hits;
        }
        return n;
    }

    /** Read lookups that found no live key. */
    public long keyspaceMisses() {
        long n = 0;
        for (Stripe s : stripes) {
            n += s.misses;
        }
        return n;
    }

    /** Resets hits, misses and expired counts (CONFIG RESETSTAT). */
    @Override
    public void resetStats() {
        for (Stripe s : stripes) {
            s.lock.lock();
            try {
                s.hits = 0;
                s.misses = 0;
                s.expiredKeys = 0;
            } finally {
                s.lock.unlock();
            }
        }
    }

    /** The background cycle (active expiry and queued tombstone GC); exposed for tests and stats. */
    ActiveExpiry activeExpiry() {
        return activeExpiry;
    }

    /** Runs one background cycle now on the calling thread; returns the number of keys expired. */
    public int runBackgroundCycle() {
        return activeExpiry.cycle(Long.MAX_VALUE);
    }

    // ------------------------------------------------------------------ internals

    Stripe[] stripes() {
        return stripes;
    }

    long nowMs() {
        return physical.millis();
    }

    /** The key hash: JDK's (vectorised) array hash, then a murmur3 finaliser. */
    static int hash(byte[] key) {
        int h = Arrays.hashCode(key);
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    /**
     * The stripe of {@code key}: by its ring token, so a stripe holds one contiguous stretch of
     * the token space and every anti-entropy leaf lies inside one stripe (see {@link LeafDigests}).
     */
    int stripeOf(byte[] key) {
        return LeafLayout.part(Partitioner.token(key), stripeBits);
    }

    /** Ends an access: settles a written key, drops an entry created for nothing, counts reads. */
    void finish(EmbeddedKeyAccess a) {
        KeyEntry e = a.entry();
        Stripe s = a.stripe;
        if (e != null) {
            if (a.changed) {
                dropTtlOfEmptiedKey(a, e);
                settle(s, e, a.grownBytes, true);
            } else if (a.created) {
                // Created by forWrite() but nothing was written (NX refused, an error after
                // forWrite): whatever the state holds was never shipped, so it is dropped.
                s.remove(e, false);
            }
        }
        if (a.read && !a.writing) {
            if (a.hit) {
                s.hits++;
            } else {
                s.misses++;
                KeyListener told = keyListener;
                if (told != null) {
                    told.missed(a.key);
                }
            }
        }
    }

    /**
     * A write that left its key non-existent while a TTL is still set — a collection emptied by
     * its own removes (ZREM, ZPOPMIN, HDEL, SREM, SPOP...): Redis deletes such a key, TTL
     * included, so a value written there later starts without one. The key state keeps its
     * expiry register while the key is invisible, so the engine clears it too with a PERSIST (an
     * LWW write stamped after the removes), reported as one more delta of the operation. Judged
     * once at the end of the operation, so a command that empties then refills a key (a *STORE
     * replacing its destination) keeps whatever it set. Deletes never get here with a TTL: a
     * delete's watermark removes the expiry record with the rest.
     */
    private void dropTtlOfEmptiedKey(EmbeddedKeyAccess a, KeyEntry e) {
        KeyState st = e.state;
        if (st.expireAtMs() != 0 && !st.exists()) {
            publish(a.key, st.persist(clock.now(), replicaId));
        }
    }

    /**
     * Brings the bookkeeping of {@code e} up to date after its state changed; returns whether the
     * entry is still in the table. A deleted key's tombstones are collected per the policy.
     */
    boolean settle(Stripe s, KeyEntry e, long grownBytes, boolean bumpVersion) {
        KeyState st = e.state;
        if (bumpVersion) {
            e.version = ++s.versionCounter;
        }
        boolean exists = st.exists();
        if (!exists) {
            long stable = tombstones.stableStamp(e.key);
            if (stable != 0) {
                st.gc(stable);
            }
            if (st.isGarbage()) {
                datasetBytes.add(-e.accountedBytes);
                e.accountedBytes = 0;
                s.remove(e, bumpVersion);
                return false;
            }
        }
        if (s.leaves != null) {
            LeafDigests.markDirty(s, e);
        }
        if (st.gcMayChange()) {
            s.mayHoldTombstones = true;
        }
        if (bumpVersion && st.hasBitWrites()) {
            s.queueGc(e); // bit writes fold into the string once every replica has them
        }
        if (exists != e.counted) {
            s.existing += exists ? 1 : -1;
            e.counted = exists;
        }
        boolean hasTtl = st.expireAtMs() != 0;
        if (hasTtl && e.ttlPos < 0) {
            s.ttlAdd(e);
        } else if (!hasTtl && e.ttlPos >= 0) {
            s.ttlRemove(e);
            if (exists) {
                s.queueGc(e); // PERSIST or an overwrite left a persistent-expiry record
            }
        }
        int elements = DatasetEstimate.elements(st);
        if (elements < e.elements && st.hash() != null) {
            s.queueGc(e); // HDEL left field tombstones
        }
        long value = DatasetEstimate.valueBytes(st, e.elements, elements, e.valueBytes(), grownBytes);
        e.elements = elements;
        long total = DatasetEstimate.entryBytes(e.key.length, value);
        if (total != e.accountedBytes) {
            datasetBytes.add(total - e.accountedBytes);
            e.accountedBytes = total;
        }
        return true;
    }

    /**
     * Whether the expired state of {@code e} may be purged on the engine's own initiative (a read,
     * a scan, active expiry): once every replica holds every write stamped below the purge's
     * watermark ({@code KeyState.expiryWatermark}), no refresh of the TTL made on another replica
     * during a partition can still arrive, so purging here cannot swallow it. Until then the key
     * reads as absent but keeps its state. On a single node (or when the cluster's horizon is
     * past it, normally within a second or two) this is at once. A write to an expired key purges
     * it regardless, as Redis does: the write starts a new key.
     *
     * <p>Not either while the attached log cannot be written ({@link #expiryPostponed()}): the
     * purge's delete record would add to the log's memory with nowhere to go (writes, which purge
     * regardless, are refused then).
     */
    boolean expiryCollectable(KeyEntry e) {
        if (expiryPostponed()) {
            return false;
        }
        long stable = tombstones.stableStamp(e.key);
        return stable != 0 && stable >= e.state.expiryWatermark();
    }

    /**
     * Purges {@code e} if its TTL passed at {@code now}: reports the expiry delete as a delta and
     * settles the key. Returns whether the entry is still in the table.
     */
    boolean purgeExpired(Stripe s, KeyEntry e, long now) {
        KeyState delta = e.state.purgeExpired(now);
        if (delta == null) {
            return true;
        }
        s.expiredKeys++;
        publish(e.key, delta);
        tellExpired(e.key);
        return settle(s, e, 0, true);
    }

    /** Tells the key listener that {@code key} expired here. */
    private void tellExpired(byte[] key) {
        KeyListener told = keyListener;
        if (told != null) {
            try {
                told.expired(key);
            } catch (RuntimeException ex) {
                log.warn("key listener failed", ex);
            }
        }
    }

    @Override
    public void keyListener(KeyListener listener) {
        this.keyListener = listener;
    }

    @Override
    public void changeListener(java.util.function.Consumer<byte[]> listener) {
        this.changeListener = listener;
    }

    /** Tells the change listener that a write or a merge changed {@code key}. */
    private void tellChanged(byte[] key) {
        java.util.function.Consumer<byte[]> told = changeListener;
        if (told != null) {
            try {
                told.accept(key);
            } catch (RuntimeException ex) {
                log.warn("change listener failed", ex);
            }
        }
    }

    /** A client's write is creating {@code key} (its first delta on a key that did not exist). */
    void keyCreated(byte[] key) {
        KeyListener told = keyListener;
        if (told != null) {
            try {
                told.created(key);
            } catch (RuntimeException ex) {
                log.warn("key listener failed", ex);
            }
        }
    }

    /** Whether expiry purges wait, because the attached log cannot record their deletes now. */
    boolean expiryPostponed() {
        Durability d = durability;
        return d != null && !d.canRecord();
    }

    /** Collects the tombstones of a queued entry (background cycle, lock held). */
    void collectGarbage(Stripe s, KeyEntry e) {
        if (!e.state.gcMayChange()) {
            // Nothing to collect, and nothing to settle: settling would only mark the key's
            // digest stale, and every sweep of a large keyspace would have it hashed again.
            return;
        }
        long stable = tombstones.stableStamp(e.key);
        if (stable == 0) {
            return;
        }
        e.state.gc(stable);
        settle(s, e, 0, false);
    }

    /** Sends a local write's delta to every listener. */
    void publish(byte[] key, KeyState delta) {
        tellChanged(key);
        DeltaListener[] ls = listeners;
        for (DeltaListener l : ls) {
            try {
                l.onDelta(key, delta);
            } catch (RuntimeException ex) {
                log.error("delta listener {} failed", l, ex);
            }
        }
    }
}
