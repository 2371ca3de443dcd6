package io.converge.server.command.data;

import io.converge.crdt.HashValue;
import io.converge.crdt.HllValue;
import io.converge.crdt.ListValue;
import io.converge.crdt.KeyState;
import io.converge.crdt.SetValue;
import io.converge.crdt.StreamId;
import io.converge.crdt.StreamValue;
import io.converge.crdt.ZSetValue;
import io.converge.server.store.KeyAccess;

/**
 * Writes a copy of one key's visible value (and TTL) into another key as new writes, for RENAME
 * (and later COPY-like commands). The copy is made of fresh writes stamped by this node, not of
 * the source's CRDT history: a plain value at the destination, whose delta goes to replicas like
 * any write. Hash fields and counters are copied as their visible bytes.
 */
final class ValueCopy {
    private ValueCopy() {}

    /**
     * Writes {@code source}'s visible value and expiry into {@code target} (a key whose visible
     * value was already deleted or never existed) and reports the change through {@code access}:
     * a string as one SET delta; a hash, set, sorted set, list or HyperLogLog as the destination's
     * whole new state (a state is a valid delta and saves one delta per element). A HyperLogLog
     * is copied as this node's contribution holding its visible registers.
     */
    static void copyInto(KeyState source, KeyAccess access) {
        KeyState target = access.forWrite();
        long ttl = source.expireAtMs();
        HllValue hll = source.hll();
        if (hll != null) {
            target.hllForWrite().mergeRegisters(hll.registers(), access.stamp(), access.node());
            if (ttl != 0) {
                target.expire(ttl, access.stamp(), access.node());
            }
            access.written(target.copy());
            return;
        }
        byte[] string = source.stringBytes();
        if (string != null) {
            access.written(target.setString(string, ttl, access.stamp(), access.node()));
            return;
        }
        long hlc = access.stamp();
        long node = access.node();
        if (source.hash() != null) {
            HashValue into = target.hashForWrite();
            source.hash().forEach((f, v) -> into.hset(f, v, hlc, node));
        } else if (source.set() != null) {
            SetValue from = source.set();
            SetValue into = target.setForWrite();
            for (int i = 0; i < from.size(); i++) {
                into.add(from.memberAt(i), hlc, node);
            }
        } else if (source.zset() != null) {
            ZSetValue from = source.zset();
            ZSetValue into = target.zsetForWrite();
            from.index().forEachInRankRange(0, from.size(), false, (m, score) -> into.add(m, score, hlc, node));
        } else if (source.stream() != null) {
            StreamValue from = source.stream();
            StreamValue into = target.streamForWrite();
            from.range(StreamId.MIN, StreamId.MAX, false, (id, pairs) -> {
                into.add(id, pairs, hlc, node);
                return true;
            });
            into.setInfo(from.lastId(), from.maxDeletedId(), from.entriesAdded(), hlc, node);
        } else if (source.list() != null) {
            ListValue from = source.list();
            byte[][] elements = new byte[from.size()][];
            from.forEach(0, elements.length, (i, v) -> {
                elements[i] = v;
                return true;
            });
            target.listForWrite().push(false, elements, 0, elements.length, hlc, node);
        } else {
            throw new IllegalStateException("cannot copy a value of type " + source.type());
        }
        if (ttl != 0) {
            target.expire(ttl, access.stamp(), node);
        }
        access.written(target.copy());
    }
}
