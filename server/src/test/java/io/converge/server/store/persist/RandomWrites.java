package io.converge.server.store.persist;

import io.converge.crdt.CounterException;
import io.converge.crdt.HashValue;
import io.converge.crdt.KeyState;
import io.converge.crdt.SetValue;
import io.converge.crdt.ValueType;
import io.converge.crdt.ZSetValue;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random writes through the storage-engine contract, the way the data commands make them:
 * SET (with and without TTL), INCRBY, HSET/HDEL/HINCRBY, SADD/SREM, ZADD/ZINCRBY/ZREM, DEL,
 * EXPIRE (long and short) and PERSIST, on a small key space so keys change type and get deleted
 * and re-created. Deterministic for a given seed.
 */
final class RandomWrites {
    private final Random random;
    private final List<byte[]> keys = new ArrayList<>();

    RandomWrites(long seed, int keyCount) {
        this.random = new Random(seed);
        for (int i = 0; i < keyCount; i++) {
            keys.add(("key:" + i).getBytes(StandardCharsets.UTF_8));
        }
        keys.add(new byte[] {0, (byte) 0xFF, 10, 13}); // binary key
    }

    /** Applies one random write; returns whether it reported a delta. */
    boolean apply(StorageEngine engine) {
        byte[] key = keys.get(random.nextInt(keys.size()));
        int op = random.nextInt(15);
        byte[] member = ("m" + random.nextInt(12)).getBytes(StandardCharsets.UTF_8);
        byte[] value = ("v" + random.nextInt(1000)).getBytes(StandardCharsets.UTF_8);
        long amount = random.nextInt(21) - 10;
        double score = random.nextInt(100) / 4.0;
        boolean shortTtl = random.nextInt(4) == 0;
        return engine.withKey(key, a -> write(a, op, member, value, amount, score, shortTtl));
    }

    private static boolean write(KeyAccess a, int op, byte[] member, byte[] value, long amount, double score,
                                 boolean shortTtl) {
        KeyState ks = a.forWrite();
        ValueType t = ks.type();
        long ttl = a.nowMs() + (shortTtl ? 20 : 3_600_000);
        KeyState delta = switch (op) {
            case 0, 1 -> ks.setString(value, 0, a.stamp(), a.node());
            case 2 -> ks.setString(value, ttl, a.stamp(), a.node());
            case 3 -> {
                if (t != null && t != ValueType.STRING) {
                    yield null;
                }
                try {
                    yield ks.incrBy(amount, a.stamp(), a.node());
                } catch (CounterException e) {
                    yield null; // not an integer: INCRBY would answer an error
                }
            }
            case 4 -> t == null || t == ValueType.HASH ? wrap(ks.hashForWrite().hset(member, value, a.stamp(), a.node())) : null;
            case 5 -> t == ValueType.HASH ? wrap(ks.hashForWrite().hdel(member, a.stamp(), a.node())) : null;
            case 6 -> t == null || t == ValueType.HASH
                    ? wrap(hincr(ks.hashForWrite(), member, amount, a)) : null;
            case 7 -> t == null || t == ValueType.SET ? wrap(ks.setForWrite().add(member, a.stamp(), a.node())) : null;
            case 8 -> t == ValueType.SET ? wrap(ks.setForWrite().remove(member, a.stamp(), a.node())) : null;
            case 9 -> t == null || t == ValueType.ZSET ? wrap(ks.zsetForWrite().add(member, score, a.stamp(), a.node())) : null;
            case 10 -> t == null || t == ValueType.ZSET ? wrap(ks.zsetForWrite().incrBy(member, score, a.stamp(), a.node())) : null;
            case 11 -> t == ValueType.ZSET ? wrap(ks.zsetForWrite().remove(member, a.stamp(), a.node())) : null;
            case 12 -> t != null ? ks.delete(a.stamp(), a.node()) : null;
            case 13 -> t != null ? ks.expire(ttl, a.stamp(), a.node()) : null;
            default -> t != null ? ks.persist(a.stamp(), a.node()) : null;
        };
        a.written(delta);
        return delta != null;
    }

    private static HashValue hincr(HashValue h, byte[] field, long amount, KeyAccess a) {
        try {
            return h.hincrBy(field, amount, a.stamp(), a.node());
        } catch (CounterException e) {
            return null;
        }
    }

    private static KeyState wrap(Object valueDelta) {
        return switch (valueDelta) {
            case null -> null;
            case HashValue h -> KeyState.wrap(h);
            case SetValue s -> KeyState.wrap(s);
            case ZSetValue z -> KeyState.wrap(z);
            default -> throw new IllegalArgumentException(String.valueOf(valueDelta));
        };
    }
}
