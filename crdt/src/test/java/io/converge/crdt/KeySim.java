package io.converge.crdt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Test support: replicas of one key, each with its own skewed clock, applying random Redis-like
 * writes the way the server will (type check, purge of an expired key, mutator, delta) and
 * exchanging deltas and states over a network that loses (for a while), duplicates and reorders.
 */
final class KeySim {

    /** Kinds of writes the simulation issues. */
    enum Kind {
        SET, SET_EX, SET_KEEPTTL, APPEND, INCRBY, INCRBYFLOAT, DEL, EXPIRE, PERSIST,
        HSET, HDEL, HINCRBY, HINCRBYFLOAT, SADD, SREM, ZADD, ZINCRBY, ZREM, LPUSH, RPUSH, LPOP, LSET, PURGE,
        /** PFADD of 0-3 elements (on a string holding an HLL encoding: the server's conversion). */
        PFADD,
        /** PFADD of thousands of elements (contributions cross the sparse limits). */
        PFADD_MANY,
        /** PFMERGE of another HLL's registers into this key. */
        PFMERGE,
        /** SET of a Redis HLL string (what a GET of an HLL returns). */
        SET_HLL
    }

    static final String[] VALUES = {"a", "b", "1", "2", "10", "-3", "1.5", "x"};
    static final String[] FLOATS = {"0.1", "-2.5", "1e-18", "3", "0", "-0.25"};
    static final String[] NAMES = {"f1", "f2", "f3"};

    /** One message in flight: a delta (or full state) from one replica to another. */
    record Message(int to, KeyState payload, byte[] encoded, long senderHlc) {
        KeyState open() {
            return encoded != null ? CrdtCodec.decode(encoded) : payload;
        }
    }

    final Random random;
    final int n;
    final KeyState[] states;
    final HybridLogicalClock[] clocks;
    final long[] skew;
    final List<Message> inFlight = new ArrayList<>();
    final List<Kind> kinds;
    /** Registers (register-wise maximum) of every element PFADDed or PFMERGEd so far. */
    final byte[] hllAdded = new byte[RedisHll.REGISTERS];
    /** The clock of the replica whose write is being applied (a conversion takes a second stamp). */
    private HybridLogicalClock writer;
    long time = 1_700_000_000_000L;
    final StringBuilder log = new StringBuilder();

    KeySim(long seed, int replicas, List<Kind> kinds) {
        this.random = new Random(seed);
        this.n = replicas;
        this.kinds = kinds;
        states = new KeyState[n];
        clocks = new HybridLogicalClock[n];
        skew = new long[n];
        for (int i = 0; i < n; i++) {
            final int r = i;
            states[i] = new KeyState();
            skew[i] = random.nextInt(61) - 30;
            clocks[i] = new HybridLogicalClock(() -> time + skew[r], 10_000);
        }
    }

    /** Replica ids, when set ({@link #withReplicaIds}); otherwise replica {@code r} is {@link #nodeOf nodeOf(r)}. */
    long[] ids;

    static int nodeOf(int replica) {
        return replica + 1;
    }

    /** Uses {@code ids[r]} as the replica id of replica {@code r} (say, incarnations with an epoch). */
    KeySim withReplicaIds(long... ids) {
        this.ids = ids.clone();
        return this;
    }

    /** The replica id that replica {@code r} stamps its writes with. */
    long idOf(int replica) {
        return ids == null ? nodeOf(replica) : ids[replica];
    }

    long now(int replica) {
        return time + skew[replica];
    }

    /** Runs {@code steps} random steps: writes, deliveries, full-state pushes, time passing. */
    void run(int steps) {
        for (int i = 0; i < steps; i++) {
            int choice = random.nextInt(10);
            if (choice < 5) {
                write(random.nextInt(n));
            } else if (choice < 8) {
                deliverOne(random.nextInt(4) == 0);
            } else if (choice < 9) {
                pushState(random.nextInt(n), random.nextInt(n));
            } else {
                time += random.nextInt(40);
            }
        }
    }

    /** Delivers every message in flight, in random order (the network heals). */
    void deliverAll() {
        while (!inFlight.isEmpty()) {
            deliverOne(false);
        }
    }

    /** Applies one random write at {@code r} and sends its delta to every other replica. */
    KeyState write(int r) {
        Kind kind = kinds.get(random.nextInt(kinds.size()));
        KeyState ks = states[r];
        long hlc = clocks[r].now();
        long node = idOf(r);
        long now = now(r);
        KeyState purge = ks.purgeExpired(now);
        writer = clocks[r];
        KeyState delta = apply(ks, kind, hlc, node, now);
        if (purge != null) {
            if (delta != null) {
                purge.merge(delta);
            }
            delta = purge;
        }
        log.append(r).append(':').append(kind).append(' ');
        if (delta != null) {
            broadcast(r, delta);
        }
        return delta;
    }

    void broadcast(int from, KeyState delta) {
        for (int to = 0; to < n; to++) {
            if (to != from) {
                send(from, to, delta);
            }
        }
    }

    void send(int from, int to, KeyState payload) {
        boolean encode = random.nextBoolean();
        inFlight.add(new Message(to, encode ? null : payload.copy(), encode ? CrdtCodec.encode(payload) : null,
                clocks[from].current()));
    }

    /** Sends a copy of {@code from}'s whole state to {@code to}. */
    void pushState(int from, int to) {
        if (from != to) {
            send(from, to, states[from]);
        }
    }

    /**
     * Delivers a random message (reordering). With {@code duplicate}, a copy stays in flight to be
     * delivered again; a message may also be "lost" for now: it simply stays in flight for a
     * later retransmission.
     */
    void deliverOne(boolean duplicate) {
        if (inFlight.isEmpty()) {
            return;
        }
        int i = random.nextInt(inFlight.size());
        Message m = inFlight.get(i);
        if (!duplicate) {
            inFlight.remove(i);
        }
        clocks[m.to()].receive(m.senderHlc());
        states[m.to()].merge(m.open());
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private String pick(String[] options) {
        return options[random.nextInt(options.length)];
    }

    private boolean typeIs(KeyState ks, ValueType t) {
        ValueType actual = ks.type();
        return actual == null || actual == t;
    }

    /** Applies one write as the server would; null when Redis would write nothing. */
    KeyState apply(KeyState ks, Kind kind, long hlc, long node, long now) {
        try {
            return switch (kind) {
                case SET -> ks.setString(b(pick(VALUES)), 0, hlc, node);
                case SET_EX -> ks.setString(b(pick(VALUES)), now + 1 + random.nextInt(200), hlc, node);
                case SET_KEEPTTL -> ks.setString(b(pick(VALUES)), KeyState.KEEP_TTL, hlc, node);
                case APPEND -> {
                    if (!typeIs(ks, ValueType.STRING)) {
                        yield null;
                    }
                    byte[] old = ks.stringBytes();
                    String joined = (old == null ? "" : new String(old, StandardCharsets.UTF_8)) + pick(VALUES);
                    yield ks.setString(b(joined.length() > 12 ? joined.substring(0, 12) : joined), KeyState.KEEP_TTL, hlc, node);
                }
                case INCRBY -> typeIs(ks, ValueType.STRING) ? ks.incrBy(random.nextInt(11) - 5, hlc, node) : null;
                case INCRBYFLOAT -> typeIs(ks, ValueType.STRING) ? ks.incrByFloat(b(pick(FLOATS)), hlc, node) : null;
                case DEL -> ks.exists() ? ks.delete(hlc, node) : null;
                case EXPIRE -> ks.exists() ? ks.expire(now + 1 + random.nextInt(200), hlc, node) : null;
                case PERSIST -> ks.exists() ? ks.persist(hlc, node) : null;
                case HSET -> typeIs(ks, ValueType.HASH)
                        ? KeyState.wrap(ks.hashForWrite().hset(b(pick(NAMES)), b(pick(VALUES)), hlc, node)) : null;
                case HDEL -> {
                    if (ks.type() != ValueType.HASH) {
                        yield null;
                    }
                    HashValue d = ks.hashForWrite().hdel(b(pick(NAMES)), hlc, node);
                    yield d == null ? null : KeyState.wrap(d);
                }
                case HINCRBY -> typeIs(ks, ValueType.HASH)
                        ? KeyState.wrap(ks.hashForWrite().hincrBy(b(pick(NAMES)), random.nextInt(11) - 5, hlc, node)) : null;
                case HINCRBYFLOAT -> typeIs(ks, ValueType.HASH)
                        ? KeyState.wrap(ks.hashForWrite().hincrByFloat(b(pick(NAMES)), b(pick(FLOATS)), hlc, node)) : null;
                case SADD -> typeIs(ks, ValueType.SET)
                        ? KeyState.wrap(ks.setForWrite().add(b(pick(NAMES)), hlc, node)) : null;
                case SREM -> {
                    if (ks.type() != ValueType.SET) {
                        yield null;
                    }
                    SetValue d = ks.setForWrite().remove(b(pick(NAMES)), hlc, node);
                    yield d == null ? null : KeyState.wrap(d);
                }
                case ZADD -> typeIs(ks, ValueType.ZSET)
                        ? KeyState.wrap(ks.zsetForWrite().add(b(pick(NAMES)), random.nextInt(5), hlc, node)) : null;
                case ZINCRBY -> typeIs(ks, ValueType.ZSET)
                        ? KeyState.wrap(ks.zsetForWrite().incrBy(b(pick(NAMES)), random.nextInt(5) - 2, hlc, node)) : null;
                case ZREM -> {
                    if (ks.type() != ValueType.ZSET) {
                        yield null;
                    }
                    ZSetValue d = ks.zsetForWrite().remove(b(pick(NAMES)), hlc, node);
                    yield d == null ? null : KeyState.wrap(d);
                }
                case LPUSH, RPUSH -> typeIs(ks, ValueType.LIST)
                        ? KeyState.wrap(ks.listForWrite().push(kind == Kind.LPUSH,
                                new byte[][] {b(pick(NAMES)), b(pick(VALUES))}, 0, 1 + random.nextInt(2), hlc, node))
                        : null;
                case LPOP -> {
                    if (ks.type() != ValueType.LIST) {
                        yield null;
                    }
                    ListValue l = ks.listForWrite();
                    yield KeyState.wrap(l.removeRange(0, Math.min(l.size(), 1 + random.nextInt(2)), hlc, node));
                }
                case LSET -> {
                    if (ks.type() != ValueType.LIST) {
                        yield null;
                    }
                    ListValue l = ks.listForWrite();
                    yield KeyState.wrap(l.set(random.nextInt(l.size()), b(pick(VALUES)), hlc, node));
                }
                case PURGE -> null; // the purge before every write is the whole operation
                case PFADD -> {
                    byte[][] elements = new byte[random.nextInt(4)][];
                    for (int i = 0; i < elements.length; i++) {
                        elements[i] = b("h" + random.nextInt(30));
                    }
                    yield pfadd(ks, elements, hlc, node);
                }
                case PFADD_MANY -> {
                    int from = random.nextInt(10_000);
                    byte[][] elements = new byte[1500 + random.nextInt(4000)][];
                    for (int i = 0; i < elements.length; i++) {
                        elements[i] = b("h" + (from + i));
                    }
                    yield pfadd(ks, elements, hlc, node);
                }
                case PFMERGE -> {
                    byte[] registers = new byte[RedisHll.REGISTERS];
                    for (int i = random.nextInt(40); i >= 0; i--) {
                        registers[random.nextInt(RedisHll.REGISTERS)] = (byte) (1 + random.nextInt(RedisHll.MAX_REGISTER));
                    }
                    if (!hllTarget(ks)) {
                        yield null;
                    }
                    KeyState d = convertString(ks, hlc, node);
                    HllValue.Change c = ks.hllForWrite().mergeRegisters(registers, d == null ? hlc : writer.now(), node);
                    noteAdded(registers);
                    yield joinDeltas(d, c);
                }
                case SET_HLL -> {
                    byte[] registers = new byte[RedisHll.REGISTERS];
                    for (int i = random.nextInt(5); i >= 0; i--) {
                        int p = RedisHll.registerOf(b("h" + random.nextInt(30)));
                        registers[p >>> 8] = (byte) Math.max(registers[p >>> 8], p & 0xFF);
                    }
                    yield ks.setString(RedisHll.denseString(registers), 0, hlc, node);
                }
            };
        } catch (CounterException e) {
            return null;
        }
    }

    /** Whether PFADD/PFMERGE may write to {@code ks}: no key, an HLL, or a string holding a sound HLL encoding. */
    private static boolean hllTarget(KeyState ks) {
        ValueType t = ks.type();
        if (t == null || t == ValueType.HLL) {
            return true;
        }
        if (t != ValueType.STRING) {
            return false;
        }
        RedisHll.Parsed p = RedisHll.parse(ks.stringBytes());
        return p != null && !p.corrupt();
    }

    /**
     * As the server does on a string holding an HLL encoding: overwrite it (keeping the TTL) and
     * record its registers in this replica's contribution, at a second stamp. Null (nothing
     * done) when the key is not such a string.
     */
    private KeyState convertString(KeyState ks, long hlc, long node) {
        if (ks.type() != ValueType.STRING) {
            return null;
        }
        byte[] registers = RedisHll.parse(ks.stringBytes()).registers();
        KeyState d = ks.replaceValue(hlc, node);
        HllValue.Change c = ks.hllForWrite().mergeRegisters(registers, writer.now(), node);
        d.merge(KeyState.wrap(c.delta()));
        return d;
    }

    private KeyState pfadd(KeyState ks, byte[][] elements, long hlc, long node) {
        if (!hllTarget(ks) || (elements.length == 0 && ks.type() == ValueType.STRING)) {
            return null; // PFADD of nothing leaves a string holding an HLL as it is
        }
        KeyState d = convertString(ks, hlc, node);
        HllValue.Change c = ks.hllForWrite().add(elements, 0, elements.length, d == null ? hlc : writer.now(), node);
        for (byte[] e : elements) {
            int p = RedisHll.registerOf(e);
            hllAdded[p >>> 8] = (byte) Math.max(hllAdded[p >>> 8], p & 0xFF);
        }
        return joinDeltas(d, c);
    }

    private void noteAdded(byte[] registers) {
        for (int i = 0; i < registers.length; i++) {
            hllAdded[i] = (byte) Math.max(hllAdded[i], registers[i]);
        }
    }

    private static KeyState joinDeltas(KeyState d, HllValue.Change c) {
        if (c.delta() == null) {
            return d;
        }
        KeyState w = KeyState.wrap(c.delta());
        if (d == null) {
            return w;
        }
        d.merge(w);
        return d;
    }

    /** Which parts of two states differ (by their encodings). */
    static String differences(KeyState x, KeyState y) {
        StringBuilder sb = new StringBuilder();
        KeyState a = x.copy();
        a.tidy();
        KeyState b = y.copy();
        b.tidy();
        for (CrdtValue<?> v : a.valuesForCodec()) {
            CrdtValue<?> w = null;
            for (CrdtValue<?> u : b.valuesForCodec()) {
                if (u.type() == v.type()) {
                    w = u;
                }
            }
            if (!v.equals(w)) {
                sb.append(v.type()).append(": ").append(hex(v)).append(" vs ").append(w == null ? "none" : hex(w)).append("; ");
            }
        }
        sb.append("sizes ").append(a.valuesForCodec().size()).append('/').append(b.valuesForCodec().size());
        return sb.toString();
    }

    private static String hex(CrdtValue<?> v) {
        io.converge.crdt.codec.CrdtWriter w = new io.converge.crdt.codec.CrdtWriter();
        v.encode(w);
        return java.util.HexFormat.of().formatHex(w.toByteArray());
    }

    /** Fails with a readable report unless every replica holds the same state. */
    void assertConverged() {
        for (int i = 1; i < n; i++) {
            if (!states[0].equals(states[i])) {
                throw new AssertionError("replicas 0 and " + i + " differ\n  0: " + states[0] + "\n  " + i + ": "
                        + states[i] + "\n  " + differences(states[0], states[i]) + "\n  ops: " + log);
            }
        }
    }
}
