package io.converge.crdt;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The whole replicated state of one key: its value(s), LWW expiry, key-level delete and type.
 * The store keeps one per key, applies writes through the mutators below (each returns the
 * key delta to ship to the other replicas) and {@link #merge merges} the deltas and states it
 * receives. Mutable and not thread-safe: the store serialises access per key.
 *
 * <p><b>Parts.</b>
 * <ul>
 *   <li><em>Values</em>: at most one per {@link ValueType}. Normally a key has one; a concurrent
 *       type clash (SET here, SADD there) leaves two, and the <b>visible</b> one is the value with
 *       the greatest last-write stamp ("the type written at the later HLC wins"). If that value is
 *       empty (say the set's last member was removed after the clash), the key does not exist.
 *   <li><em>Expiry</em>: an LWW register {@code (expireAtMs, stamp)}; 0 means persistent. EXPIRE,
 *       PERSIST and SET with EX/PX write it; the latest stamp wins. A plain SET clears a TTL it
 *       has observed (its delta then carries {@code (0, stamp)}), as SET's overwrite of other
 *       types is an observed-remove too.
 *   <li><em>Delete</em>: a watermark stamp {@code W} for the LWW parts (string bases, hash
 *       fields, the expiry register: everything stamped before {@code W} is gone; writes stamped
 *       after survive; HyperLogLog contributions begun before {@code W} are gone) and, per
 *       observed-remove type, the causal context the deletes observed
 *       (set, sorted-set and list elements whose dots it covers are gone; adds it had not seen
 *       survive).
 * </ul>
 *
 * <p><b>Invariants</b> (what makes merge a join and states comparable):
 * every value has absorbed the delete parts (bases below {@code W} are tombstones at {@code W},
 * OR contexts include the delete contexts); a value that was created fresh (by a write or by a
 * merge bringing a new type) starts from the delete parts, so an old delta that arrives late is
 * still removed, and a re-created set continues its dot counters. An empty string or hash whose
 * last write is not after {@code W} says nothing the delete parts do not, so it is dropped. An
 * empty set or sorted set is kept until {@link #gc} (an add its delete had not observed may still
 * arrive and revive it, and its last-write stamp then matters). Values emptied by a delete take
 * no part in choosing the visible type; values emptied by their own removes (SREM, HDEL...,
 * stamped after {@code W}) do: a key whose latest-written value is empty does not exist.
 *
 * <p><b>Memory.</b> A plain string key stores its bytes and stamp inline (no {@link
 * StringValue} object) and no envelope: 32 bytes plus the byte array. Expiry, delete and
 * type-clash parts live in a separately allocated envelope, only when used.
 *
 * <p><b>Tombstone GC</b> ({@link #gc(long)}): given a stamp {@code stable} such that every
 * replica has received every write stamped at or before it (and the local clock is already past
 * it), drop the delete watermark, persistent-expiry records, hash field tombstones and dead
 * counter contributions stamped at or before {@code stable}. No write that old can still arrive,
 * so nothing they guarded against can happen; and writes made after it are stamped later, so they
 * still win everywhere, including on replicas that have not collected yet (a counter increment
 * made after collecting carries no base, and counts on a replica that still has the tombstone
 * because it began after it). Empty sets emptied by deletes go too, but delete <em>contexts</em>
 * of sets and sorted sets are kept: a re-created set must not reuse old dots, so a deleted set
 * key never becomes garbage (it costs one version-vector entry per writer). Transports must not
 * redeliver deltas older than {@code stable} after it was declared (resurrection otherwise).
 */
public final class KeyState {

    /** {@link #setString} expiry argument meaning "keep the current TTL" (SET ... KEEPTTL). */
    public static final long KEEP_TTL = -1;

    /** null, a byte[] (inline plain string stamped {@code hlc}/{@code node}), or the primary value. */
    private Object value;
    private long hlc;
    private long node;
    /** Expiry, delete and other-type parts; null when all are empty. */
    private Envelope env;

    /** An empty key state (the key does not exist). */
    public KeyState() {}

    private KeyState(byte[] inline, long hlc, long node) {
        this.value = inline;
        this.hlc = hlc;
        this.node = node;
    }

    /**
     * A key delta carrying one value delta, as returned by a value's mutator (SADD, ZADD, HSET
     * ...). The value is taken over, not copied.
     */
    public static KeyState wrap(CrdtValue<?> valueDelta) {
        KeyState k = new KeyState();
        if (valueDelta instanceof StringValue s && s.isPlain() && s.baseBytes() != null) {
            k.value = s.baseBytes();
            k.hlc = s.baseHlc();
            k.node = s.baseNode();
        } else {
            k.value = Objects.requireNonNull(valueDelta, "valueDelta");
        }
        return k;
    }

    // ------------------------------------------------------------------ reads

    /** The visible type, or null if the key does not exist (ignores expiry; see {@link #isLive}). */
    public ValueType type() {
        CrdtValue<?> v = visibleValue();
        if (v == null) {
            return value instanceof byte[] ? ValueType.STRING : null;
        }
        return v.type();
    }

    /** Whether the key exists, ignoring expiry. */
    public boolean exists() {
        return type() != null;
    }

    /** Whether the key exists and has not expired at {@code nowMs}. */
    public boolean isLive(long nowMs) {
        return exists() && !isExpired(nowMs);
    }

    /** Whether a TTL is set and has passed at {@code nowMs} (Redis: expired once now > expiry). */
    public boolean isExpired(long nowMs) {
        long at = expireAtMs();
        return at != 0 && nowMs > at;
    }

    /** The absolute expiry instant in ms since the epoch, or 0 if the key is persistent. */
    public long expireAtMs() {
        Envelope e = env;
        return e == null || e.expHlc == 0 ? 0 : e.expireAtMs;
    }

    /**
     * The visible string value (GET), or null if the key does not hold a visible string. The
     * array must not be mutated.
     */
    public byte[] stringBytes() {
        if (value instanceof byte[] b && (env == null || env.others == null)) {
            return b;
        }
        CrdtValue<?> v = visibleValue();
        if (v instanceof StringValue s) {
            return s.get();
        }
        // Redis keeps an HLL in a string: GET answers its dense encoding.
        return v instanceof HllValue h ? h.toRedisString() : null;
    }

    /**
     * Bit {@code offset} (0 to 2^32 - 1) of the visible string (GETBIT; 0 beyond its end), or -1
     * if the key does not hold a visible string. O(1) for a plain string or one with bit writes.
     */
    public int stringBit(long offset) {
        if (value instanceof byte[] b && (env == null || env.others == null)) {
            return (offset >>> 3) < b.length ? (b[(int) (offset >>> 3)] >> (7 - (int) (offset & 7))) & 1 : 0;
        }
        CrdtValue<?> v = visibleValue();
        if (v instanceof StringValue s) {
            return s.bit(offset);
        }
        if (v instanceof HllValue h) {
            byte[] b = h.toRedisString();
            return (offset >>> 3) < b.length ? (b[(int) (offset >>> 3)] >> (7 - (int) (offset & 7))) & 1 : 0;
        }
        return -1;
    }

    /** The length of the visible string (STRLEN), or -1 if the key does not hold a visible string. */
    public long stringLength() {
        if (value instanceof byte[] b && (env == null || env.others == null)) {
            return b.length;
        }
        CrdtValue<?> v = visibleValue();
        if (v instanceof StringValue s) {
            return s.length();
        }
        return v instanceof HllValue h ? h.toRedisString().length : -1;
    }

    /** Rough heap bytes of the string's bit writes not yet folded into its base (0 when none). */
    public long bitWriteBytes() {
        return value instanceof StringValue s ? s.bitWriteBytes() : 0;
    }

    /**
     * Whether the key's string holds bit writes (SETBIT, BITFIELD) not yet folded into its base:
     * the store should run {@link #gc} on it soon, which folds those every replica has.
     */
    public boolean hasBitWrites() {
        return value instanceof StringValue s && s.hasBitWrites();
    }

    /** The visible string state (for counters: {@link StringValue#longValue()}), or null. */
    public StringValue string() {
        if (value instanceof byte[] && (env == null || env.others == null)) {
            inflate();
        }
        return visibleValue() instanceof StringValue s ? s : null;
    }

    /** The visible hash, or null. Read-only: write through {@link #hashForWrite()}. */
    public HashValue hash() {
        return visibleValue() instanceof HashValue h ? h : null;
    }

    /** The visible set, or null. Read-only: write through {@link #setForWrite()}. */
    public SetValue set() {
        return visibleValue() instanceof SetValue s ? s : null;
    }

    /** The visible sorted set, or null. Read-only: write through {@link #zsetForWrite()}. */
    public ZSetValue zset() {
        return visibleValue() instanceof ZSetValue z ? z : null;
    }

    /** The visible list, or null. Read-only: write through {@link #listForWrite()}. */
    public ListValue list() {
        return visibleValue() instanceof ListValue l ? l : null;
    }

    /** The visible HyperLogLog, or null. Read-only: write through {@link #hllForWrite()}. */
    public HllValue hll() {
        return visibleValue() instanceof HllValue h ? h : null;
    }

    /** The visible stream, or null. Read-only: write through {@link #streamForWrite()}. */
    public StreamValue stream() {
        return visibleValue() instanceof StreamValue s ? s : null;
    }

    /** The visible value, or null (an inline string is returned as a new {@link StringValue}). */
    public CrdtValue<?> value() {
        if (value instanceof byte[] && (env == null || env.others == null)) {
            inflate();
        }
        return visibleValue();
    }

    /** Whether this state holds nothing at all (no value, no expiry, no delete record). */
    public boolean isGarbage() {
        return value == null && env == null;
    }

    /**
     * Whether this state holds key-level parts beside its value: an expiry record, a delete
     * watermark or delete contexts, values of other types (what {@link #gc} may drop beyond the
     * value's own tombstones).
     */
    public boolean hasKeyParts() {
        return env != null;
    }

    // ------------------------------------------------------------------ string mutators

    /**
     * SET at {@code (hlc, node)}: replaces the value whatever its type (the other types this
     * replica has observed are deleted, as a DEL at the same stamp would). {@code expireAtMs}:
     * an absolute instant (SET EX/PX/EXAT/PXAT), 0 for none (a TTL this replica observed is
     * cleared), or {@link #KEEP_TTL}. APPEND and SETRANGE are SETs of the new bytes with
     * {@code KEEP_TTL}. Returns the delta. The array is kept and must not be mutated.
     */
    public KeyState setString(byte[] bytes, long expireAtMs, long hlc, long node) {
        Objects.requireNonNull(bytes, "bytes");
        KeyState d = new KeyState(bytes, hlc, node);
        if (hasOtherTypes(ValueType.STRING)) {
            d.addDelete(observedDelete(hlc, node, ValueType.STRING));
        }
        long currentTtl = expireAtMs();
        if (expireAtMs > 0) {
            d.envelope().setExpiry(expireAtMs, hlc, node);
        } else if (expireAtMs == KEEP_TTL) {
            if (d.env != null && currentTtl != 0) {
                // The overwrite's delete clears older expiry records; restate the kept TTL.
                d.env.setExpiry(currentTtl, hlc, node);
            }
        } else if (currentTtl != 0) {
            d.envelope().setExpiry(0, hlc, node);
        }
        merge(d);
        return d;
    }

    /**
     * INCRBY/DECRBY/INCR/DECR at replica {@code node}, stamped {@code (hlc, node)}; the new value
     * is then {@code string().longValue()}. Returns the delta. The TTL is kept.
     *
     * @throws CounterException before changing anything, as {@link StringValue#incrBy}
     * @throws IllegalStateException if the key holds another visible type (WRONGTYPE)
     */
    public KeyState incrBy(long delta, long hlc, long node) {
        StringValue target = stringForWrite();
        try {
            return wrap(target.incrBy(delta, hlc, node));
        } catch (CounterException e) {
            tidy(); // drop the value created for this write, if any
            throw e;
        }
    }

    /**
     * INCRBYFLOAT at replica {@code node} by the float in {@code increment}; the new value is
     * then {@link #stringBytes()}. Returns the delta. The TTL is kept.
     *
     * @throws CounterException before changing anything, as {@link StringValue#incrByFloat}
     * @throws IllegalStateException if the key holds another visible type (WRONGTYPE)
     */
    public KeyState incrByFloat(byte[] increment, long hlc, long node) {
        StringValue target = stringForWrite();
        try {
            return wrap(target.incrByFloat(increment, hlc, node));
        } catch (CounterException e) {
            tidy(); // drop the value created for this write, if any
            throw e;
        }
    }

    /**
     * SETBIT, or one BITFIELD SET/INCRBY, at replica {@code node}, stamped {@code (hlc, node)}:
     * writes the {@code width} low bits of {@code value} at bits {@code offset ..} (see {@link
     * StringValue#writeBits}); the string is created if the key has none. The TTL is kept.
     * Returns the delta.
     *
     * @throws IllegalStateException if the key holds another visible type (WRONGTYPE)
     */
    public KeyState writeBits(long offset, int width, long value, long hlc, long node) {
        StringValue target = stringForWrite();
        return wrap(target.writeBits(offset, width, value, hlc, node));
    }

    // ------------------------------------------------------------------ other types

    /**
     * The hash to apply a hash write to (then ship {@code KeyState.wrap(delta)}), created if the
     * key has none. Starts from this key's delete history, so a re-created hash is not shadowed
     * by old tombstones and old writes stay deleted.
     *
     * @throws IllegalStateException if the key holds another visible type (WRONGTYPE)
     */
    public HashValue hashForWrite() {
        return (HashValue) forWrite(ValueType.HASH);
    }

    /** The set to apply a set write to, created if absent (see {@link #hashForWrite()}). */
    public SetValue setForWrite() {
        return (SetValue) forWrite(ValueType.SET);
    }

    /** The sorted set to apply a write to, created if absent (see {@link #hashForWrite()}). */
    public ZSetValue zsetForWrite() {
        return (ZSetValue) forWrite(ValueType.ZSET);
    }

    /** The list to apply a write to, created if absent (see {@link #hashForWrite()}). */
    public ListValue listForWrite() {
        return (ListValue) forWrite(ValueType.LIST);
    }

    /** The HyperLogLog to apply a write to, created if absent (see {@link #hashForWrite()}). */
    public HllValue hllForWrite() {
        return (HllValue) forWrite(ValueType.HLL);
    }

    /** The stream to apply a write to, created if absent (see {@link #hashForWrite()}). */
    public StreamValue streamForWrite() {
        return (StreamValue) forWrite(ValueType.STREAM);
    }

    // ------------------------------------------------------------------ key-level mutators

    /**
     * DEL (or UNLINK, GETDEL...) at {@code (hlc, node)}: removes every LWW part stamped before it
     * and every set/sorted-set element this replica has observed. Returns the delta.
     */
    public KeyState delete(long hlc, long node) {
        KeyState d = new KeyState();
        d.addDelete(observedDelete(hlc, node, null));
        merge(d);
        return d;
    }

    /**
     * The delete half of a write that replaces the key's value by a value of another type while
     * keeping the TTL (PFADD or PFMERGE on a string that holds a Redis HLL encoding): at {@code
     * (hlc, node)}, removes every value this replica observed, as a SET's overwrite does, and
     * restates the TTL at the same stamp. Returns the delta; write the new value at a later stamp.
     */
    public KeyState replaceValue(long hlc, long node) {
        KeyState d = new KeyState();
        d.addDelete(observedDelete(hlc, node, null));
        long ttl = expireAtMs();
        if (ttl != 0) {
            d.env.setExpiry(ttl, hlc, node);
        }
        merge(d);
        return d;
    }

    /**
     * EXPIRE/PEXPIRE/EXPIREAT... at {@code (hlc, node)}: the key expires at {@code expireAtMs}
     * (absolute ms; must be > 0). A time already past should be a {@link #delete} instead, as
     * Redis deletes the key at once. Returns the delta.
     */
    public KeyState expire(long expireAtMs, long hlc, long node) {
        if (expireAtMs <= 0) {
            throw new IllegalArgumentException("expireAtMs must be > 0: " + expireAtMs);
        }
        KeyState d = new KeyState();
        d.envelope().setExpiry(expireAtMs, hlc, node);
        merge(d);
        return d;
    }

    /**
     * PERSIST at {@code (hlc, node)}: removes the TTL. Returns the delta, or null if the key had
     * no TTL (Redis answers 0 and nothing changes).
     */
    public KeyState persist(long hlc, long node) {
        if (expireAtMs() == 0) {
            return null;
        }
        KeyState d = new KeyState();
        d.envelope().setExpiry(0, hlc, node);
        merge(d);
        return d;
    }

    /**
     * If the key's TTL has passed at {@code nowMs}, deletes it and returns the delta (else null).
     * Every replica computes the same watermark, just past the expiry instant (and past the expiry
     * record), so writes stamped after the expiry survive wherever the purge runs. Call before
     * writing to a key (and ship the purge merged with the write's delta, so they travel
     * together), and from active expiry.
     */
    public KeyState purgeExpired(long nowMs) {
        if (!isExpired(nowMs)) {
            return null;
        }
        KeyState d = new KeyState();
        d.addDelete(observedDelete(expiryWatermark(), Stamp.MIN_NODE, null));
        merge(d);
        return d;
    }

    /**
     * The HLC of the delete {@link #purgeExpired} would write (0 when no TTL is set): just past
     * the expiry instant and past the expiry record. Before a replica purges an expired key on
     * its own initiative (rather than to write to it), every replica must hold every write stamped
     * below this: then no refresh of the TTL made elsewhere (during a partition) can still arrive
     * and be swallowed by the purge.
     */
    public long expiryWatermark() {
        Envelope e = env;
        if (e == null || e.expHlc == 0 || e.expireAtMs == 0) {
            return 0;
        }
        long wHlc = Hlc.pack(Math.min(e.expireAtMs, Hlc.MAX_PHYSICAL), 0);
        // The watermark's node is Stamp.MIN_NODE, so a record at wHlc is not below (wHlc, MIN_NODE).
        return e.expHlc >= wHlc ? e.expHlc + 1 : wHlc;
    }

    // ------------------------------------------------------------------ replication

    /**
     * Joins another state or delta of the same key into this one (commutative, associative,
     * idempotent). {@code other} is not modified and shares nothing mutable with the result.
     */
    public void merge(KeyState other) {
        if (other == this) {
            return;
        }
        // Fast path: plain strings on both sides and nothing else (replicated SETs).
        if (env == null && other.env == null && other.value instanceof byte[] ob
                && (value == null || value instanceof byte[])) {
            if (value == null || StringValue.compareBase(ob, other.hlc, other.node, (byte[]) value, hlc, node) > 0) {
                value = ob;
                hlc = other.hlc;
                node = other.node;
            }
            return;
        }
        // Fast path: one value of the same type on both sides, no envelopes (most deltas).
        if (env == null && other.env == null && value instanceof CrdtValue<?> mine
                && other.value instanceof CrdtValue<?> theirs && mine.type() == theirs.type()) {
            join(mine, theirs);
            deflate();
            return;
        }
        List<CrdtValue<?>> values = values();
        Envelope oe = other.env;
        if (oe != null) {
            Envelope e = envelope();
            if (oe.delHlc != 0 && Stamp.compare(oe.delHlc, oe.delNode, e.delHlc, e.delNode) > 0) {
                e.delHlc = oe.delHlc;
                e.delNode = oe.delNode;
                for (CrdtValue<?> v : values) {
                    removeUpTo(v, e.delHlc, e.delNode);
                }
            }
            if (oe.setContext != null && (e.setContext == null || !e.setContext.includes(oe.setContext))) {
                e.setContext = union(e.setContext, oe.setContext);
                SetValue s = find(values, SetValue.class);
                if (s != null) {
                    s.removeObserved(oe.setContext);
                }
            }
            if (oe.zsetContext != null && (e.zsetContext == null || !e.zsetContext.includes(oe.zsetContext))) {
                e.zsetContext = union(e.zsetContext, oe.zsetContext);
                ZSetValue z = find(values, ZSetValue.class);
                if (z != null) {
                    z.removeObserved(oe.zsetContext);
                }
            }
            if (oe.listContext != null && (e.listContext == null || !e.listContext.includes(oe.listContext))) {
                e.listContext = union(e.listContext, oe.listContext);
                ListValue l = find(values, ListValue.class);
                if (l != null) {
                    l.removeObserved(oe.listContext);
                }
            }
            if (oe.streamContext != null
                    && (e.streamContext == null || !e.streamContext.includes(oe.streamContext))) {
                e.streamContext = union(e.streamContext, oe.streamContext);
                StreamValue st = find(values, StreamValue.class);
                if (st != null) {
                    st.removeObserved(oe.streamContext);
                }
            }
            if (oe.expHlc != 0 && Stamp.compare(oe.expHlc, oe.expNode, e.expHlc, e.expNode) > 0) {
                e.setExpiry(oe.expireAtMs, oe.expHlc, oe.expNode);
            }
        }
        for (CrdtValue<?> theirs : other.valuesForCodec()) {
            CrdtValue<?> mine = findType(values, theirs.type());
            if (mine == null) {
                mine = fresh(theirs.type());
                values.add(mine);
            }
            join(mine, theirs);
        }
        normalize(values);
    }

    /** A deep copy sharing nothing mutable with this state. */
    public KeyState copy() {
        KeyState c = new KeyState();
        c.value = value instanceof CrdtValue<?> v ? v.copy() : value;
        c.hlc = hlc;
        c.node = node;
        if (env != null) {
            c.env = env.copy();
        }
        return c;
    }

    /**
     * Whether {@link #gc} may change this state or find it garbage: false when it holds
     * something and nothing tombstone GC ever drops (a plain string, or a set, sorted set or list
     * without delete records: only key envelopes, counters and hash fields keep what GC collects).
     */
    public boolean gcMayChange() {
        return env != null || value == null || value instanceof StringValue || value instanceof HashValue
                || value instanceof StreamValue st && st.hasWatermark();
    }

    /**
     * Tombstone GC (see the class comment for the rule): drops what is stamped at or before
     * {@code stableHlc} and only guarded against writes that old. Returns {@link #isGarbage()}:
     * whether the store may forget the key altogether.
     */
    public boolean gc(long stableHlc) {
        Envelope e = env;
        if (e == null) {
            if (value instanceof StringValue s) {
                s.gc(stableHlc);
                deflate();
            } else if (value instanceof HashValue h && h.gc(stableHlc) && h.isEmpty()) {
                value = null;
            } else if (value instanceof HllValue h && h.gc(stableHlc)) {
                value = null;
            } else if (value instanceof StreamValue st) {
                st.gc(stableHlc);
            }
            return isGarbage();
        }
        List<CrdtValue<?>> values = values();
        if (e.expHlc != 0 && e.expireAtMs == 0 && e.expHlc <= stableHlc) {
            e.expHlc = 0;
            e.expNode = 0;
        }
        // A set emptied by a delete (last write not after the watermark, so it takes no part in
        // the type choice) and last written at or before the stable point can go: an add that
        // brings it back is stamped later, so its old last-write stamp no longer matters. Its
        // context is kept (a re-created set must not reuse its dots).
        for (int i = values.size() - 1; i >= 0; i--) {
            CrdtValue<?> v = values.get(i);
            if (v.isEmpty() && lastWriteHlc(v) <= stableHlc
                    && Stamp.compare(lastWriteHlc(v), lastWriteNode(v), e.delHlc, e.delNode) <= 0) {
                if (v instanceof SetValue s) {
                    e.setContext = union(e.setContext, s.context());
                    values.remove(i);
                } else if (v instanceof ZSetValue z) {
                    e.zsetContext = union(e.zsetContext, z.context());
                    values.remove(i);
                } else if (v instanceof ListValue l) {
                    e.listContext = union(e.listContext, l.context());
                    values.remove(i);
                } else if (v instanceof StreamValue st) {
                    e.streamContext = union(e.streamContext, st.context());
                    values.remove(i);
                }
            }
        }
        if (e.delHlc != 0 && e.delHlc <= stableHlc) {
            e.delHlc = 0;
            e.delNode = 0;
        }
        for (int i = values.size() - 1; i >= 0; i--) {
            CrdtValue<?> v = values.get(i);
            boolean droppable = switch (v) {
                case StringValue s -> s.gc(stableHlc);
                case HashValue h -> h.gc(stableHlc) && h.isEmpty();
                case HllValue h -> h.gc(stableHlc);
                case StreamValue st -> {
                    st.gc(stableHlc);
                    yield false;
                }
                default -> false;
            };
            if (droppable && values.size() == 1) {
                values.remove(i);
            }
        }
        normalize(values);
        return isGarbage();
    }

    // ------------------------------------------------------------------ internals

    /** The value of the visible type, or null; never inflates (an inline string gives null). */
    private CrdtValue<?> visibleValue() {
        Envelope e = env;
        if (e == null || e.others == null) {
            if (value instanceof CrdtValue<?> v) {
                return v.isEmpty() ? null : v;
            }
            return null;
        }
        // Type clash: the greatest last write among the values that take part wins.
        CrdtValue<?> best = winner((CrdtValue<?>) value, null, e);
        for (CrdtValue<?> v : e.others) {
            best = winner(v, best, e);
        }
        return best == null || best.isEmpty() ? null : best;
    }

    /**
     * The later-written of {@code candidate} and {@code best}, counting only values that take
     * part in the type choice: non-empty ones, and empty ones written after the delete watermark
     * (emptied by their own removes). A value emptied by a delete does not hide the others.
     */
    private static CrdtValue<?> winner(CrdtValue<?> candidate, CrdtValue<?> best, Envelope e) {
        boolean takesPart = !candidate.isEmpty()
                || Stamp.compare(lastWriteHlc(candidate), lastWriteNode(candidate), e.delHlc, e.delNode) > 0;
        if (!takesPart) {
            return best;
        }
        return best == null || compareLastWrite(candidate, best) > 0 ? candidate : best;
    }

    private StringValue stringForWrite() {
        return (StringValue) forWrite(ValueType.STRING);
    }

    private CrdtValue<?> forWrite(ValueType t) {
        ValueType visible = type();
        if (visible != null && visible != t) {
            throw new IllegalStateException("WRONGTYPE key holds a " + visible.redisName() + ", not a " + t.redisName());
        }
        if (value instanceof CrdtValue<?> v && v.type() == t && (env == null || env.others == null)) {
            return v;
        }
        List<CrdtValue<?>> values = values();
        CrdtValue<?> target = findType(values, t);
        if (target == null) {
            target = fresh(t);
            values.add(target);
        }
        // The written value becomes primary (its last write is about to be the latest) and stays
        // an object: the caller mutates it in place.
        store(values, target, false);
        return target;
    }

    /** Whether any value of a type other than {@code t} is held (visible or not). */
    private boolean hasOtherTypes(ValueType t) {
        if (value instanceof byte[]) {
            return env != null && env.others != null;
        }
        if (value instanceof CrdtValue<?> v && v.type() != t) {
            return true;
        }
        return env != null && env.others != null;
    }

    /**
     * The delete parts of a delete at {@code (hlc, node)} that removes what this replica has
     * observed: the watermark and the contexts of its set and sorted set (and of their earlier
     * deletes). {@code keep}, if not null, is a type the caller is writing and not deleting.
     */
    private Envelope observedDelete(long hlc, long node, ValueType keep) {
        Envelope d = new Envelope();
        d.delHlc = hlc;
        d.delNode = node;
        Envelope e = env;
        if (keep != ValueType.SET) {
            CausalContext ctx = e == null || e.setContext == null ? null : e.setContext.copy();
            SetValue s = findHeld(SetValue.class);
            if (s != null) {
                ctx = union(ctx, s.context());
            }
            d.setContext = ctx;
        }
        if (keep != ValueType.ZSET) {
            CausalContext ctx = e == null || e.zsetContext == null ? null : e.zsetContext.copy();
            ZSetValue z = findHeld(ZSetValue.class);
            if (z != null) {
                ctx = union(ctx, z.context());
            }
            d.zsetContext = ctx;
        }
        if (keep != ValueType.LIST) {
            CausalContext ctx = e == null || e.listContext == null ? null : e.listContext.copy();
            ListValue l = findHeld(ListValue.class);
            if (l != null) {
                ctx = union(ctx, l.context());
            }
            d.listContext = ctx;
        }
        if (keep != ValueType.STREAM) {
            CausalContext ctx = e == null || e.streamContext == null ? null : e.streamContext.copy();
            StreamValue st = findHeld(StreamValue.class);
            if (st != null) {
                ctx = union(ctx, st.context());
            }
            d.streamContext = ctx;
        }
        return d;
    }

    private void addDelete(Envelope delete) {
        Envelope e = envelope();
        e.delHlc = delete.delHlc;
        e.delNode = delete.delNode;
        e.setContext = delete.setContext;
        e.zsetContext = delete.zsetContext;
        e.listContext = delete.listContext;
        e.streamContext = delete.streamContext;
    }

    private <V> V findHeld(Class<V> type) {
        if (type.isInstance(value)) {
            return type.cast(value);
        }
        if (env != null && env.others != null) {
            for (CrdtValue<?> v : env.others) {
                if (type.isInstance(v)) {
                    return type.cast(v);
                }
            }
        }
        return null;
    }

    /** An empty value of type {@code t} that has absorbed this key's delete parts. */
    private CrdtValue<?> fresh(ValueType t) {
        Envelope e = env;
        switch (t) {
            case STRING -> {
                StringValue s = new StringValue();
                if (e != null && e.delHlc != 0) {
                    s.removeUpTo(e.delHlc, e.delNode);
                }
                return s;
            }
            case HASH -> {
                HashValue h = new HashValue();
                if (e != null && e.delHlc != 0) {
                    h.removeUpTo(e.delHlc, e.delNode);
                }
                return h;
            }
            case SET -> {
                SetValue s = new SetValue();
                if (e != null && e.setContext != null) {
                    s.removeObserved(e.setContext);
                }
                return s;
            }
            case ZSET -> {
                ZSetValue z = new ZSetValue();
                if (e != null && e.zsetContext != null) {
                    z.removeObserved(e.zsetContext);
                }
                return z;
            }
            case LIST -> {
                ListValue l = new ListValue();
                if (e != null && e.listContext != null) {
                    l.removeObserved(e.listContext);
                }
                return l;
            }
            case HLL -> {
                HllValue h = new HllValue();
                if (e != null && e.delHlc != 0) {
                    h.removeUpTo(e.delHlc, e.delNode);
                }
                return h;
            }
            case STREAM -> {
                StreamValue st = new StreamValue();
                if (e != null && e.streamContext != null) {
                    st.removeObserved(e.streamContext);
                }
                if (e != null && e.delHlc != 0) {
                    st.removeUpTo(e.delHlc, e.delNode);
                }
                return st;
            }
            default -> throw new IllegalStateException("unknown type " + t);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void join(CrdtValue<?> mine, CrdtValue<?> theirs) {
        ((CrdtValue) mine).merge(theirs);
    }

    private static void removeUpTo(CrdtValue<?> v, long hlc, long node) {
        if (v instanceof StringValue s) {
            s.removeUpTo(hlc, node);
        } else if (v instanceof HashValue h) {
            h.removeUpTo(hlc, node);
        } else if (v instanceof HllValue h) {
            h.removeUpTo(hlc, node);
        } else if (v instanceof StreamValue st) {
            st.removeUpTo(hlc, node);
        }
    }

    /**
     * Restores the invariants after a change: expiry records older than the watermark go, empty
     * values not written after the watermark go (their set contexts folded into the delete
     * context), the value with the latest write becomes primary, a plain string goes inline.
     */
    private void normalize(List<CrdtValue<?>> values) {
        Envelope e = env;
        long wHlc = e == null ? 0 : e.delHlc;
        long wNode = e == null ? 0 : e.delNode;
        if (e != null) {
            if (e.expHlc != 0 && !e.expiryStands()) {
                e.expHlc = 0;
                e.expNode = 0;
                e.expireAtMs = 0;
            }
            // An empty context says what no context says; keeping one would only cost memory.
            if (e.setContext != null && e.setContext.isEmpty()) {
                e.setContext = null;
            }
            if (e.zsetContext != null && e.zsetContext.isEmpty()) {
                e.zsetContext = null;
            }
            if (e.listContext != null && e.listContext.isEmpty()) {
                e.listContext = null;
            }
            if (e.streamContext != null && e.streamContext.isEmpty()) {
                e.streamContext = null;
            }
        }
        for (int i = values.size() - 1; i >= 0; i--) {
            if (redundant(values.get(i), wHlc, wNode)) {
                values.remove(i);
            }
        }
        Envelope view = e == null ? Envelope.EMPTY : e;
        CrdtValue<?> primary = null;
        for (CrdtValue<?> v : values) {
            primary = winner(v, primary, view);
        }
        if (primary == null && !values.isEmpty()) {
            primary = values.get(0);
        }
        store(values, primary, true);
    }

    /** Whether {@link #normalize} drops {@code v} under the watermark {@code (wHlc, wNode)}. */
    private static boolean redundant(CrdtValue<?> v, long wHlc, long wNode) {
        return v.isEmpty() && Stamp.compare(lastWriteHlc(v), lastWriteNode(v), wHlc, wNode) <= 0 && droppable(v);
    }

    /**
     * Whether an empty value not written after the watermark says nothing the delete parts do
     * not. True for strings, hashes and HyperLogLogs: anything older that arrives later is
     * deleted, anything that survives is newer. False for sets and sorted sets: an add the
     * delete had not observed
     * may still arrive, bring the value back, and then its last-write stamp matters; they are
     * dropped only by {@link #gc} (their context folded into the delete context).
     */
    private static boolean droppable(CrdtValue<?> v) {
        return v instanceof StringValue s ? s.isPlain() : v instanceof HashValue || v instanceof HllValue;
    }

    /**
     * Stores {@code values} with {@code primary} in the primary slot, a plain string inline if
     * {@code inline} and it is the only value; drops an empty envelope.
     */
    private void store(List<CrdtValue<?>> values, CrdtValue<?> primary, boolean inline) {
        value = primary;
        hlc = 0;
        node = 0;
        Envelope e = env;
        if (values.size() > 1) {
            CrdtValue<?>[] others = new CrdtValue<?>[values.size() - 1];
            int n = 0;
            for (CrdtValue<?> v : values) {
                if (v != primary) {
                    others[n++] = v;
                }
            }
            envelope().others = others;
        } else {
            if (e != null) {
                e.others = null;
            }
            if (inline) {
                deflate();
            }
        }
        if (env != null && env.isEmpty()) {
            env = null;
        }
    }

    private static int compareLastWrite(CrdtValue<?> a, CrdtValue<?> b) {
        int c = Stamp.compare(lastWriteHlc(a), lastWriteNode(a), lastWriteHlc(b), lastWriteNode(b));
        return c != 0 ? c : Integer.compare(a.type().code(), b.type().code());
    }

    static long lastWriteHlc(CrdtValue<?> v) {
        return switch (v) {
            case StringValue s -> s.lastWriteHlc();
            case HashValue h -> h.lastWriteHlc();
            case SetValue s -> s.lastWriteHlc();
            case ZSetValue z -> z.lastWriteHlc();
            case ListValue l -> l.lastWriteHlc();
            case HllValue h -> h.lastWriteHlc();
            case StreamValue st -> st.lastWriteHlc();
            default -> 0;
        };
    }

    static long lastWriteNode(CrdtValue<?> v) {
        return switch (v) {
            case StringValue s -> s.lastWriteNode();
            case HashValue h -> h.lastWriteNode();
            case SetValue s -> s.lastWriteNode();
            case ZSetValue z -> z.lastWriteNode();
            case ListValue l -> l.lastWriteNode();
            case HllValue h -> h.lastWriteNode();
            case StreamValue st -> st.lastWriteNode();
            default -> 0;
        };
    }

    /** Whether this state is a plain string and nothing else (no expiry, delete or other-type parts). */
    public boolean isPlainString() {
        return env == null && value instanceof byte[];
    }

    /** Whether this state and {@code other} are both the same {@link #isPlainString plain string}. */
    public boolean isSamePlainString(KeyState other) {
        return env == null && other.env == null && value instanceof byte[] mine && other.value instanceof byte[] theirs
                && hlc == other.hlc && node == other.node && (mine == theirs || java.util.Arrays.equals(mine, theirs));
    }

    /**
     * The greatest HLC among the stamps this state keeps of its writes: its values' latest
     * writes, its expiry record, its delete watermark (0 for an empty state). Of two states of a
     * key, the one with the greater value has seen the later write: a hint of which replica is
     * ahead, for anti-entropy to send the likely winner first; nothing depends on it for
     * correctness.
     */
    public long latestWriteHlc() {
        long latest = value instanceof byte[] ? hlc : value instanceof CrdtValue<?> v ? lastWriteHlc(v) : 0;
        Envelope e = env;
        if (e != null) {
            latest = Math.max(latest, Math.max(e.delHlc, e.expHlc));
            if (e.others != null) {
                for (CrdtValue<?> v : e.others) {
                    latest = Math.max(latest, lastWriteHlc(v));
                }
            }
        }
        return latest;
    }

    /** HLC of the primary value's latest write (0 if none). */
    public long lastWriteHlc() {
        if (value instanceof byte[]) {
            return hlc;
        }
        return value instanceof CrdtValue<?> v ? lastWriteHlc(v) : 0;
    }

    /** Node of the primary value's latest write. */
    public long lastWriteNode() {
        if (value instanceof byte[]) {
            return node;
        }
        return value instanceof CrdtValue<?> v ? lastWriteNode(v) : 0;
    }

    /** All values as a mutable list (primary first), inflating an inline string. */
    private List<CrdtValue<?>> values() {
        inflate();
        List<CrdtValue<?>> list = new ArrayList<>(4);
        if (value != null) {
            list.add((CrdtValue<?>) value);
        }
        if (env != null && env.others != null) {
            for (CrdtValue<?> v : env.others) {
                list.add(v);
            }
        }
        return list;
    }

    private static CrdtValue<?> findType(List<CrdtValue<?>> values, ValueType t) {
        for (CrdtValue<?> v : values) {
            if (v.type() == t) {
                return v;
            }
        }
        return null;
    }

    private static <V> V find(List<CrdtValue<?>> values, Class<V> type) {
        for (CrdtValue<?> v : values) {
            if (type.isInstance(v)) {
                return type.cast(v);
            }
        }
        return null;
    }

    private void inflate() {
        if (value instanceof byte[] b) {
            value = new StringValue(b, hlc, node);
            hlc = 0;
            node = 0;
        }
    }

    private void deflate() {
        if (value instanceof StringValue s && s.isPlain() && s.baseBytes() != null) {
            value = s.baseBytes();
            hlc = s.baseHlc();
            node = s.baseNode();
        }
    }

    private Envelope envelope() {
        Envelope e = env;
        if (e == null) {
            e = new Envelope();
            env = e;
        }
        return e;
    }

    private static CausalContext union(CausalContext a, CausalContext b) {
        if (a == null) {
            return b.copy();
        }
        a.merge(b);
        return a;
    }

    /**
     * Re-establishes the invariants after values were mutated in place (for example a fresh
     * value left empty by a refused write). Merges and mutators do this themselves.
     */
    void tidy() {
        if (env != null || value instanceof CrdtValue<?>) {
            normalize(values());
        }
    }

    // ------------------------------------------------------------------ codec access

    /** Package access for {@link CrdtCodec}: the envelope, or null. */
    Envelope envelopeOrNull() {
        return env;
    }

    /**
     * Package access for {@link CrdtCodec}: the bytes of a plain string stored inline with nothing
     * else (no envelope), or null for any other state. Such a state's normal form is itself.
     */
    byte[] inlineStringOrNull() {
        return env == null && value instanceof byte[] b ? b : null;
    }

    /** Package access for {@link CrdtCodec}: the stamp HLC of an {@link #inlineStringOrNull inline string}. */
    long inlineHlc() {
        return hlc;
    }

    /** Package access for {@link CrdtCodec}: the stamp node of an {@link #inlineStringOrNull inline string}. */
    long inlineNode() {
        return node;
    }

    /**
     * Package access for {@link CrdtCodec}: the state of a key holding only the plain string
     * {@code bytes} written at {@code (hlc, node)}, what {@link #assemble} makes of one plain
     * {@link StringValue} without an envelope.
     */
    static KeyState inlineString(byte[] bytes, long hlc, long node) {
        return new KeyState(bytes, hlc, node);
    }

    /** Package access for {@link CrdtCodec}: every value (inline string as a new StringValue). */
    List<CrdtValue<?>> valuesForCodec() {
        List<CrdtValue<?>> list = new ArrayList<>(4);
        if (value instanceof byte[] b) {
            list.add(new StringValue(b, hlc, node));
        } else if (value != null) {
            list.add((CrdtValue<?>) value);
        }
        if (env != null && env.others != null) {
            for (CrdtValue<?> v : env.others) {
                list.add(v);
            }
        }
        return list;
    }

    /**
     * Package access for {@link CrdtCodec}: the values the normal form keeps (what {@link
     * #normalize} would leave, without changing this state), so a state a write left
     * un-normalized (say, a value created for a write that was then refused) encodes like its
     * normal form, which is what it equals.
     */
    List<CrdtValue<?>> valuesInNormalForm() {
        List<CrdtValue<?>> list = valuesForCodec();
        Envelope e = env;
        if (e != null || value instanceof CrdtValue<?>) {
            long wHlc = e == null ? 0 : e.delHlc;
            long wNode = e == null ? 0 : e.delNode;
            list.removeIf(v -> redundant(v, wHlc, wNode));
        }
        return list;
    }

    /** Package access for {@link CrdtCodec}: builds a state from decoded parts. */
    static KeyState assemble(Envelope env, List<CrdtValue<?>> values) {
        KeyState k = new KeyState();
        k.env = env;
        k.normalize(values);
        return k;
    }

    // ------------------------------------------------------------------ equality

    /** Equal logical states (inline and object forms of a string compare equal). */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof KeyState that)) {
            return false;
        }
        KeyState self = copy();
        self.tidy();
        KeyState other = that.copy();
        other.tidy();
        Envelope a = self.env == null ? Envelope.EMPTY : self.env;
        Envelope b = other.env == null ? Envelope.EMPTY : other.env;
        if (!a.sameRecords(b)) {
            return false;
        }
        List<CrdtValue<?>> mine = self.valuesForCodec();
        List<CrdtValue<?>> theirs = other.valuesForCodec();
        if (mine.size() != theirs.size()) {
            return false;
        }
        for (CrdtValue<?> v : mine) {
            if (!v.equals(findType(theirs, v.type()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        KeyState self = copy();
        self.tidy();
        int h = 0;
        for (CrdtValue<?> v : self.valuesForCodec()) {
            h += v.hashCode();
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Key{");
        if (env != null) {
            sb.append(env).append(' ');
        }
        for (CrdtValue<?> v : valuesForCodec()) {
            sb.append(v).append(' ');
        }
        return sb.append('}').toString();
    }

    /** The rarely used parts of a key: expiry, delete records and values of other types. */
    static final class Envelope {
        static final Envelope EMPTY = new Envelope();

        /** Expiry register: instant (0 = persistent) and the stamp that wrote it (0 = none). */
        long expireAtMs;
        long expHlc;
        long expNode;
        /** Delete watermark (0 = none). */
        long delHlc;
        long delNode;
        /** What deletes observed of the set, the sorted set and the list; null = nothing. */
        CausalContext setContext;
        CausalContext zsetContext;
        CausalContext listContext;
        CausalContext streamContext;
        /** Values of types other than the primary one (type clash); null = none. */
        CrdtValue<?>[] others;

        void setExpiry(long atMs, long hlc, long node) {
            expireAtMs = atMs;
            expHlc = hlc;
            expNode = node;
        }

        boolean isEmpty() {
            return expHlc == 0 && delHlc == 0 && setContext == null && zsetContext == null && listContext == null
                    && streamContext == null
                    && others == null;
        }

        /** Whether the expiry record is set and not older than the delete watermark (which removes it). */
        boolean expiryStands() {
            return expHlc != 0 && Stamp.compare(expHlc, expNode, delHlc, delNode) >= 0;
        }

        Envelope copy() {
            Envelope c = new Envelope();
            c.expireAtMs = expireAtMs;
            c.expHlc = expHlc;
            c.expNode = expNode;
            c.delHlc = delHlc;
            c.delNode = delNode;
            c.setContext = setContext == null ? null : setContext.copy();
            c.zsetContext = zsetContext == null ? null : zsetContext.copy();
            c.listContext = listContext == null ? null : listContext.copy();
            c.streamContext = streamContext == null ? null : streamContext.copy();
            if (others != null) {
                c.others = new CrdtValue<?>[others.length];
                for (int i = 0; i < others.length; i++) {
                    c.others[i] = others[i].copy();
                }
            }
            return c;
        }

        boolean sameRecords(Envelope o) {
            return expireAtMs == o.expireAtMs && expHlc == o.expHlc && expNode == o.expNode
                    && delHlc == o.delHlc && delNode == o.delNode
                    && sameContext(setContext, o.setContext) && sameContext(zsetContext, o.zsetContext)
                    && sameContext(listContext, o.listContext) && sameContext(streamContext, o.streamContext);
        }

        private static boolean sameContext(CausalContext a, CausalContext b) {
            boolean aEmpty = a == null || a.isEmpty();
            boolean bEmpty = b == null || b.isEmpty();
            return aEmpty && bEmpty || (!aEmpty && !bEmpty && a.equals(b));
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            if (expHlc != 0) {
                sb.append("exp=").append(expireAtMs).append('@').append(Hlc.toString(expHlc)).append('/').append(expNode).append(' ');
            }
            if (delHlc != 0) {
                sb.append("del=").append(Hlc.toString(delHlc)).append('/').append(delNode).append(' ');
            }
            if (setContext != null) {
                sb.append("setCtx=").append(setContext).append(' ');
            }
            if (zsetContext != null) {
                sb.append("zsetCtx=").append(zsetContext).append(' ');
            }
            if (listContext != null) {
                sb.append("listCtx=").append(listContext).append(' ');
            }
            if (streamContext != null) {
                sb.append("streamCtx=").append(streamContext).append(' ');
            }
            return sb.toString().trim();
        }
    }
}
