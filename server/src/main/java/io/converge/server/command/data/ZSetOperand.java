package io.converge.server.command.data;

import io.converge.crdt.KeyState;
import io.converge.crdt.ScoredMemberConsumer;
import io.converge.crdt.SetValue;
import io.converge.crdt.ZSetValue;
import io.converge.server.command.Errors;
import io.converge.server.store.KeyAccess;

/**
 * One input of the sorted-set algebra (ZUNION, ZINTER, ZDIFF, ZINTERCARD and their *STORE forms):
 * a sorted set, a plain set (each member counting with score 1, as in Redis) or nothing (a
 * missing key, which is empty), with the weight WEIGHTS gave it (1 by default).
 */
final class ZSetOperand {
    private final ZSetValue zset;
    private final SetValue set;
    private double weight = 1.0;

    private ZSetOperand(ZSetValue zset, SetValue set) {
        this.zset = zset;
        this.set = set;
    }

    /**
     * Reads an input key: a sorted set, a set, or missing.
     *
     * @throws io.converge.server.command.CommandException WRONGTYPE if the key holds another type
     */
    static ZSetOperand read(KeyAccess access) {
        KeyState ks = access.live();
        if (ks == null) {
            return new ZSetOperand(null, null);
        }
        ZSetValue z = ks.zset();
        if (z != null) {
            return new ZSetOperand(z, null);
        }
        SetValue s = ks.set();
        if (s != null) {
            return new ZSetOperand(null, s);
        }
        throw Errors.WRONGTYPE_ERROR;
    }

    /** The weight each score is multiplied by. */
    double weight() {
        return weight;
    }

    /** Sets the weight (WEIGHTS). */
    void weight(double weight) {
        this.weight = weight;
    }

    /** Number of members (0 for a missing key). */
    int size() {
        return zset != null ? zset.size() : set != null ? set.size() : 0;
    }

    /** The member's unweighted score in this input (1 for a set member), or NaN if absent. */
    double score(byte[] member) {
        if (zset != null) {
            return zset.score(member);
        }
        return set != null && set.contains(member) ? 1.0 : Double.NaN;
    }

    /** Whether {@code member} is in this input. */
    boolean contains(byte[] member) {
        return zset != null ? zset.contains(member) : set != null && set.contains(member);
    }

    /** Calls {@code action} with every member and its unweighted score (a sorted set's in rank order). */
    void forEach(ScoredMemberConsumer action) {
        forEach(0, size(), action);
    }

    /**
     * Calls {@code action} with the members at positions {@code [from, to)} (ranks of a sorted
     * set, dense positions of a set) and their unweighted scores.
     */
    void forEach(int from, int to, ScoredMemberConsumer action) {
        if (zset != null) {
            zset.index().forEachInRankRange(from, to, false, action);
        } else if (set != null) {
            for (int i = from; i < to; i++) {
                action.accept(set.memberAt(i), 1.0);
            }
        }
    }
}
