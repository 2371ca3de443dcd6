package io.converge.server.command.data;

import io.converge.crdt.KeyState;
import io.converge.crdt.ScoredMemberConsumer;
import io.converge.crdt.ZSetIndex;
import io.converge.crdt.ZSetValue;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.KeyAccess;

/**
 * Small helpers shared by the sorted-set command classes: reading a key as a sorted set (with
 * Redis's WRONGTYPE check), getting the sorted set to write to, and writing ranges of members
 * with or without scores in the reply shapes Redis uses for RESP2 and RESP3.
 */
final class SortedSets {
    private SortedSets() {}

    /**
     * The common part of a sorted-set command's table entry: arity, flags, one key at position 1,
     * key-spec flags, the {@code @sortedset} category and its documentation.
     */
    static CommandSpec.Builder spec(String name, int arity, CommandFlag[] flags, String[] keySpecFlags,
                                    String since, String summary, String complexity) {
        return CommandSpec.builder(name).arity(arity).flags(flags).keys(1, 1, 1).keySpecFlags(keySpecFlags)
                .acl(AclCategory.SORTEDSET).group("sorted-set").since(since).summary(summary)
                .complexity(complexity);
    }

    /**
     * The key's live sorted set, or null if the key does not exist (or has expired).
     *
     * @throws io.converge.server.command.CommandException WRONGTYPE if the key holds another type
     */
    static ZSetValue read(KeyAccess access) {
        KeyState ks = access.live();
        if (ks == null) {
            return null;
        }
        ZSetValue z = ks.zset();
        if (z == null) {
            throw Errors.WRONGTYPE_ERROR;
        }
        return z;
    }

    /**
     * For a write command: the key's live sorted set, or null if the key does not exist. Like
     * {@link #read} but through {@link KeyAccess#forWrite()}, so the access counts as a write (a
     * write's lookup is not a keyspace hit or miss in Redis); a key it had to install is dropped
     * again by the engine if nothing is written.
     *
     * @throws io.converge.server.command.CommandException WRONGTYPE if the key holds another type
     */
    static ZSetValue readForWrite(KeyAccess access) {
        KeyState ks = access.forWrite();
        if (!ks.exists()) {
            return null;
        }
        ZSetValue z = ks.zset();
        if (z == null) {
            throw Errors.WRONGTYPE_ERROR;
        }
        return z;
    }

    /**
     * The sorted set to apply a write to (created if the key does not exist). Call only once the
     * command is sure to write and the type was checked.
     */
    static ZSetValue forWrite(KeyAccess access) {
        return access.forWrite().zsetForWrite();
    }

    /**
     * Writes members of ranks {@code [from, to)} of {@code index} (descending from {@code to - 1}
     * when {@code reverse}) as the reply array: bulk members; with scores, RESP2 interleaves
     * member and score in one flat array, RESP3 sends an array of [member, double] pairs.
     */
    static void writeRange(ReplyWriter reply, ZSetIndex index, int from, int to, boolean reverse, boolean withScores) {
        int count = to - from;
        if (count <= 0) {
            reply.emptyArray();
            return;
        }
        boolean nested = withScores && reply.isResp3();
        reply.arrayHeader(withScores && !nested ? count * 2 : count);
        index.forEachInRankRange(from, to, reverse, pairWriter(reply, withScores, nested));
    }

    /**
     * A consumer that writes one member (and its score when {@code withScores}, wrapped in a
     * two-element array when {@code nested}) per call.
     */
    static ScoredMemberConsumer pairWriter(ReplyWriter reply, boolean withScores, boolean nested) {
        if (!withScores) {
            return (member, score) -> reply.bulk(member);
        }
        if (nested) {
            return (member, score) -> {
                reply.arrayHeader(2);
                reply.bulk(member);
                reply.doubleValue(score);
            };
        }
        return (member, score) -> {
            reply.bulk(member);
            reply.doubleValue(score);
        };
    }
}
