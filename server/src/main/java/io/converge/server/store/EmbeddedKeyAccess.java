package io.converge.server.store;

import io.converge.crdt.KeyState;

/**
 * The {@link KeyAccess} of the embedded engine: one key of one stripe, valid while the stripe's
 * lock is held by the operation. Instances are pooled per stripe and nesting depth (single-key
 * operations allocate nothing here) or made per multi-key operation.
 *
 * <p>It records what the operation did, so that {@link EmbeddedEngine#finish} can settle the
 * engine's bookkeeping once at the end: whether a delta was written (version, indexes, memory),
 * whether it created an entry that stayed empty (removed silently), whether it was a pure read
 * (keyspace hits and misses).
 */
final class EmbeddedKeyAccess implements KeyAccess {
    private final EmbeddedEngine engine;
    Stripe stripe;
    byte[] key;
    int hash;
    KeyEntry entry;
    long now;
    /** A delta was reported. */
    boolean changed;
    /** forWrite() installed a new entry. */
    boolean created;
    /** The key did not exist when the operation first asked to write it. */
    boolean absentBefore;
    /** forWrite() was called (the operation is a write, not counted as a read). */
    boolean writing;
    /** live() was called; {@link #hit} is its last answer. */
    boolean read;
    boolean hit;
    /** Payload of collection deltas reported (memory estimate). */
    long grownBytes;

    EmbeddedKeyAccess(EmbeddedEngine engine) {
        this.engine = engine;
    }

    /** Points this access at {@code key} (lock held). */
    void open(Stripe stripe, byte[] key, int hash, long now) {
        this.stripe = stripe;
        this.key = key;
        this.hash = hash;
        this.entry = stripe.find(key, hash);
        this.now = now;
        this.changed = false;
        this.created = false;
        this.absentBefore = false;
        this.writing = false;
        this.read = false;
        this.hit = false;
        this.grownBytes = 0;
    }

    /** Drops references after the operation (pooled instances must not pin states). */
    void clear() {
        stripe = null;
        key = null;
        entry = null;
    }

    /** The current entry, looked up again if a nested operation removed it. */
    KeyEntry entry() {
        KeyEntry e = entry;
        if (e != null && e.removed) {
            e = stripe.find(key, hash);
            entry = e;
        }
        return e;
    }

    @Override
    public byte[] key() {
        return key;
    }

    @Override
    public KeyState live() {
        read = true;
        KeyState s = current();
        hit = s != null;
        return s;
    }

    /** The entry's memory estimate, or -1 when the key does not exist; not counted as a read. */
    long memoryUsage() {
        return current() == null ? -1 : entry().accountedBytes;
    }

    /** The live state without counting a read. */
    private KeyState current() {
        KeyEntry e = entry();
        if (e == null) {
            return null;
        }
        KeyState st = e.state;
        if (st.isExpired(now)) {
            // A write starts a new key, so it purges the expired one first (its delete travels
            // with the write); a read only hides it until the purge is safe everywhere.
            if ((writing || engine.expiryCollectable(e)) && !engine.purgeExpired(stripe, e, now)) {
                entry = null;
            }
            return null;
        }
        return st.exists() ? st : null;
    }

    @Override
    public KeyState forWrite() {
        boolean first = !writing;
        writing = true;
        KeyState before = current();
        if (first) {
            absentBefore = before == null;
        }
        KeyEntry e = entry();
        if (e == null) {
            e = stripe.insert(key, hash, new KeyState());
            entry = e;
            created = true;
        }
        return e.state;
    }

    @Override
    public long stamp() {
        return engine.clock().now();
    }

    @Override
    public long node() {
        return engine.replicaId();
    }

    @Override
    public long nowMs() {
        return now;
    }

    @Override
    public void written(KeyState delta) {
        if (delta == null) {
            return;
        }
        if (entry() == null) {
            throw new IllegalStateException("written() without forWrite() on this key");
        }
        if (absentBefore && !changed) {
            engine.keyCreated(key);
        }
        changed = true;
        grownBytes += DatasetEstimate.deltaPayload(delta);
        engine.publish(key, delta);
    }
}
