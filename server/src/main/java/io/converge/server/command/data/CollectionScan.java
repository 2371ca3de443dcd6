package io.converge.server.command.data;

import io.converge.server.command.CommandContext;
import io.converge.server.command.Errors;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.util.Glob;
import java.util.List;

/**
 * Cursor arithmetic and option parsing shared by HSCAN and SSCAN (and usable by ZSCAN); the
 * cursor argument itself is parsed by {@link DataArgs#parseCursor}.
 *
 * <p><b>How the cursor works.</b> Redis walks its hash table buckets with a reverse-binary
 * cursor. Our collections have no stable bucket order (a {@code HashMap}, dense arrays whose
 * positions move on removal), so each element gets a fixed <em>position</em> in
 * {@code [0, 2^32)}: a seedless hash of its bytes. A call with cursor {@code c} returns the
 * elements whose position lies in {@code [c, e)} and answers {@code e} as the next cursor
 * (0 once {@code e} reaches {@code 2^32}). The ranges of successive calls tile the position
 * space, so an element present for the whole scan is returned at least once whatever is added
 * or removed meanwhile, which is Redis's guarantee; in fact exactly once, unless the collection
 * shrinks to the small size answered whole (Redis may repeat elements too). Because the hash
 * has no seed, a cursor means the same on every node and across restarts.
 *
 * <p>Each call inspects the whole collection (O(n)) to find the elements of its range, so the
 * range is sized for about {@code max(COUNT, n / MAX_CALLS)} elements: a full scan then costs
 * at most about {@code MAX_CALLS} passes, not {@code n / COUNT}. COUNT is a hint in Redis too,
 * and like Redis's small encodings, a collection of at most {@link #ALL_AT_ONCE} elements is
 * returned whole with cursor 0.
 */
final class CollectionScan {
    /** Collections this small are returned in one call, cursor ignored (as Redis's listpacks). */
    static final int ALL_AT_ONCE = 128;
    /** A large collection is covered in about this many calls at most. */
    static final int MAX_CALLS = 64;
    /** Size of the position space: positions are in {@code [0, POSITIONS)}. */
    static final long POSITIONS = 1L << 32;
    /** Redis's default COUNT. */
    static final long DEFAULT_COUNT = 10;

    private CollectionScan() {}

    /** Parsed scan options: COUNT, MATCH (null: everything) and NOVALUES. */
    record Options(long count, byte[] pattern, boolean noValues) {
        /** Whether {@code element} passes the MATCH filter. */
        boolean matches(byte[] element) {
            return pattern == null || Glob.matches(pattern, element, false);
        }
    }

    /**
     * Parses {@code [MATCH pattern] [COUNT count] [NOVALUES]} from argument {@code from} on, with
     * Redis's errors ({@code ERR syntax error} for unknown options and COUNT below 1).
     * NOVALUES (Redis 7.4, HSCAN only) is accepted only when {@code allowNoValues}.
     */
    static Options parseOptions(CommandContext ctx, int from, boolean allowNoValues) {
        long count = DEFAULT_COUNT;
        byte[] pattern = null;
        boolean noValues = false;
        int i = from;
        while (i < ctx.argc()) {
            int remaining = ctx.argc() - i;
            if (ctx.argIs(i, "count") && remaining >= 2) {
                count = ctx.argLong(i + 1);
                if (count < 1) {
                    throw Errors.SYNTAX_ERROR;
                }
                i += 2;
            } else if (ctx.argIs(i, "match") && remaining >= 2) {
                byte[] p = ctx.arg(i + 1);
                pattern = p.length == 1 && p[0] == '*' ? null : p;
                i += 2;
            } else if (allowNoValues && ctx.argIs(i, "novalues")) {
                noValues = true;
                i++;
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        return new Options(count, pattern, noValues);
    }

    /** Whether a collection of {@code size} elements is answered whole, with cursor 0. */
    static boolean allAtOnce(long cursor, long count, int size) {
        return size <= ALL_AT_ONCE || (cursor == 0 && count >= size);
    }

    /**
     * The first position a call with {@code cursor} covers: the cursor itself, or
     * {@link #POSITIONS} (nothing left) for a cursor beyond the position space, which we never
     * issue.
     */
    static long rangeStart(long cursor) {
        return Long.compareUnsigned(cursor, POSITIONS) >= 0 ? POSITIONS : cursor;
    }

    /**
     * The end (exclusive) of the position range a call starting at {@code start} (see
     * {@link #rangeStart}) covers, for a collection of {@code size} elements; {@link #POSITIONS}
     * when the call ends the scan.
     */
    static long rangeEnd(long start, long count, int size) {
        if (start >= POSITIONS) {
            return POSITIONS;
        }
        long target = Math.max(Math.min(count, size), (size + MAX_CALLS - 1) / MAX_CALLS);
        long width = Math.max(1, (target << 32) / Math.max(1, size));
        return Math.min(POSITIONS, start + width);
    }

    /** The cursor to answer after a call that covered positions up to {@code end}. */
    static long nextCursor(long end) {
        return end >= POSITIONS ? 0 : end;
    }

    /** Whether {@code element}'s position lies in {@code [start, end)}. */
    static boolean inRange(byte[] element, long start, long end) {
        long p = position(element);
        return p >= start && p < end;
    }

    /**
     * The fixed position of an element in {@code [0, 2^32)}: FNV-1a over the bytes, then the
     * MurmurHash3 64-bit finalizer for avalanche. No seed on purpose (see the class comment);
     * crafted collisions only make one call return more elements.
     */
    static long position(byte[] element) {
        long h = 0xcbf29ce484222325L;
        for (byte b : element) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h >>> 32;
    }

    /** The SCAN-family reply: the next cursor as a bulk string, then the array of items. */
    static void writeReply(ReplyWriter reply, long nextCursor, List<byte[]> items) {
        reply.arrayHeader(2);
        reply.bulk(nextCursor);
        reply.arrayHeader(items.size());
        for (byte[] item : items) {
            reply.bulk(item);
        }
    }
}
