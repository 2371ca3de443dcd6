package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.READONLY;

import io.converge.crdt.KeyState;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.NodeServices;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import java.util.ArrayList;
import java.util.List;

/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common subsequence of
 * two strings, with Redis 7.0's replies, errors, limit and choice among equally long answers.
 *
 * <p>Redis fills a table of {@code (alen+1) * (blen+1)} 32-bit lengths and walks it back from
 * the end, going up when the length above is greater than the one to the left, else left; it
 * refuses when that table would exceed {@code proto-max-bulk-len}. Here the lengths are kept two
 * rows at a time, and the walk needs only that one comparison per cell, kept as one bit: the
 * same answer, in a thirty-second of the memory (16 MiB at the default limit).
 */
final class LcsCommand {
    private static final CommandException NOT_STRINGS =
            new CommandException("ERR The specified keys must contain string values");
    private static final CommandException LEN_AND_IDX =
            new CommandException("ERR If you want both the length and indexes, please just use IDX.");
    private static final CommandException TOO_LARGE = new CommandException(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");

    private final StorageEngine engine;

    private LcsCommand(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers LCS. */
    static void register(NodeServices services, StorageEngine engine) {
        LcsCommand c = new LcsCommand(engine);
        services.commands().register(CommandSpec.builder("lcs").arity(-3).flags(READONLY).keys(1, 2, 1)
                .keySpecFlags("RO", "access").acl(AclCategory.STRING).group("string").since("7.0.0")
                .summary("Finds the longest common substring.").complexity("O(N*M) where N and M are the lengths of s1 "
                        + "and s2, respectively").handler(c::lcs).build());
    }

    private void lcs(CommandContext ctx) {
        byte[][] keys = {ctx.arg(1), ctx.arg(2)};
        byte[][] strings = engine.withKeys(keys, access -> new byte[][] {stringOf(access[0]), stringOf(access[1])});
        boolean len = false;
        boolean idx = false;
        boolean withMatchLen = false;
        long minMatchLen = 0;
        for (int j = 3; j < ctx.argc(); j++) {
            if (ctx.argIs(j, "idx")) {
                idx = true;
            } else if (ctx.argIs(j, "len")) {
                len = true;
            } else if (ctx.argIs(j, "withmatchlen")) {
                withMatchLen = true;
            } else if (ctx.argIs(j, "minmatchlen") && j + 1 < ctx.argc()) {
                minMatchLen = Math.max(0, ctx.argLong(++j));
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        if (idx && len) {
            throw LEN_AND_IDX;
        }
        byte[] a = strings[0];
        byte[] b = strings[1];
        if ((a.length + 1L) * (b.length + 1L) * Integer.BYTES > ctx.node().config().current().protoMaxBulkLen()) {
            throw TOO_LARGE;
        }
        boolean walk = idx || !len;
        long[] up = walk ? new long[(int) (((long) a.length * b.length + 63) >>> 6)] : null;
        int length = fill(a, b, up);
        ReplyWriter reply = ctx.reply();
        if (len) {
            reply.integer(length);
            return;
        }
        byte[] result = new byte[length];
        List<long[]> matches = new ArrayList<>();
        walkBack(a, b, up, length, result, matches, minMatchLen);
        if (!idx) {
            reply.bulk(result);
            return;
        }
        reply.mapHeader(2);
        reply.bulk("matches");
        reply.arrayHeader(matches.size());
        for (long[] m : matches) {
            reply.arrayHeader(withMatchLen ? 3 : 2);
            reply.arrayHeader(2);
            reply.integer(m[0]);
            reply.integer(m[1]);
            reply.arrayHeader(2);
            reply.integer(m[2]);
            reply.integer(m[3]);
            if (withMatchLen) {
                reply.integer(m[1] - m[0] + 1);
            }
        }
        reply.bulk("len");
        reply.integer(length);
    }

    /** The key's string, empty if the key does not exist; the Redis error for another type. */
    private static byte[] stringOf(KeyAccess access) {
        KeyState state = access.live();
        if (state == null) {
            return new byte[0];
        }
        byte[] s = state.stringBytes();
        if (s == null) {
            throw NOT_STRINGS;
        }
        return s;
    }

    /**
     * Fills the LCS lengths row by row and returns LCS(alen, blen). With {@code up}, records for
     * every cell (i, j), 1-based, whether LCS(i-1, j) > LCS(i, j-1): the way Redis walks back
     * from a mismatch.
     */
    private static int fill(byte[] a, byte[] b, long[] up) {
        int[] prev = new int[b.length + 1];
        int[] cur = new int[b.length + 1];
        for (int i = 1; i <= a.length; i++) {
            byte ai = a[i - 1];
            long row = (long) (i - 1) * b.length;
            for (int j = 1; j <= b.length; j++) {
                if (ai == b[j - 1]) {
                    cur[j] = prev[j - 1] + 1;
                } else {
                    int above = prev[j];
                    int left = cur[j - 1];
                    if (above > left) {
                        cur[j] = above;
                        if (up != null) {
                            long bit = row + j - 1;
                            up[(int) (bit >>> 6)] |= 1L << bit;
                        }
                    } else {
                        cur[j] = left;
                    }
                }
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length];
    }

    /**
     * Walks back from (alen, blen) as Redis does: fills {@code result} with the subsequence and
     * adds the matched ranges {@code [aStart, aEnd, bStart, bEnd]}, last first, that are at least
     * {@code minMatchLen} long.
     */
    private static void walkBack(byte[] a, byte[] b, long[] up, int length, byte[] result, List<long[]> matches,
            long minMatchLen) {
        int i = a.length;
        int j = b.length;
        int at = length;
        int unset = a.length;
        int aStart = unset;
        int aEnd = 0;
        int bStart = 0;
        int bEnd = 0;
        while (i > 0 && j > 0) {
            boolean emit = false;
            if (a[i - 1] == b[j - 1]) {
                result[at - 1] = a[i - 1];
                if (aStart == unset) {
                    aStart = i - 1;
                    aEnd = i - 1;
                    bStart = j - 1;
                    bEnd = j - 1;
                } else if (aStart == i && bStart == j) {
                    aStart--;
                    bStart--;
                } else {
                    emit = true;
                }
                if (aStart == 0 || bStart == 0) {
                    emit = true;
                }
                at--;
                i--;
                j--;
            } else {
                long bit = (long) (i - 1) * b.length + j - 1;
                if ((up[(int) (bit >>> 6)] & (1L << bit)) != 0) {
                    i--;
                } else {
                    j--;
                }
                emit = aStart != unset;
            }
            if (emit) {
                if (minMatchLen == 0 || aEnd - aStart + 1 >= minMatchLen) {
                    matches.add(new long[] {aStart, aEnd, bStart, bEnd});
                }
                aStart = unset;
            }
        }
    }
}
