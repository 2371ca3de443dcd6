package io.converge.server.command.data;

import io.converge.crdt.StreamId;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.Errors;

/**
 * Parsing of stream command arguments as Redis 7.0 does it: entry IDs ({@code ms-seq}, {@code ms},
 * {@code -}, {@code +}, exclusive {@code (} bounds, XADD's {@code *} and {@code ms-*}) and the
 * trimming options shared by XADD and XTRIM ({@code MAXLEN}/{@code MINID} with {@code =} or
 * {@code ~}, {@code LIMIT}, XADD's {@code NOMKSTREAM}), with Redis's error texts.
 */
final class StreamArgs {
    static final CommandException INVALID_ID =
            new CommandException("ERR Invalid stream ID specified as stream command argument");
    private static final CommandException BOTH_STRATEGIES =
            new CommandException("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
    private static final CommandException LIMIT_WITHOUT_APPROX =
            new CommandException("ERR syntax error, LIMIT cannot be used without the special ~ option");
    private static final CommandException NEGATIVE_MAXLEN = new CommandException("ERR The MAXLEN argument must be >= 0.");
    private static final CommandException NEGATIVE_LIMIT = new CommandException("ERR The LIMIT argument must be >= 0.");
    /** Redis's stream-node-max-entries default: approximate trims remove whole nodes of this many entries. */
    static final int NODE_ENTRIES = 100;

    private StreamArgs() {}

    /**
     * An ID argument: {@code ms-seq} or {@code ms} (sequence {@code missingSeq}); {@code -} and
     * {@code +} unless {@code strict}. Null when {@code autoSeq} and the argument is {@code ms-*}
     * (then {@link #autoSeqMs} gives the ms). Invalid: Redis's error.
     */
    static StreamId parseId(byte[] arg, long missingSeq, boolean strict) {
        if (!strict && arg.length == 1 && arg[0] == '-') {
            return StreamId.MIN;
        }
        if (!strict && arg.length == 1 && arg[0] == '+') {
            return StreamId.MAX;
        }
        int dash = indexOf(arg, (byte) '-');
        if (dash < 0) {
            return new StreamId(parseUnsigned(arg, 0, arg.length), missingSeq);
        }
        return new StreamId(parseUnsigned(arg, 0, dash), parseUnsigned(arg, dash + 1, arg.length));
    }

    /** For XADD's {@code ms-*}: the ms, or -2 (not a valid unsigned value here) when the argument is not of that form. */
    static boolean isAutoSeq(byte[] arg) {
        return arg.length >= 3 && arg[arg.length - 1] == '*' && arg[arg.length - 2] == '-';
    }

    /** The ms of an {@code ms-*} argument. */
    static long autoSeqMs(byte[] arg) {
        return parseUnsigned(arg, 0, arg.length - 2);
    }

    /**
     * An interval bound of XRANGE/XREVRANGE: {@code (id} is exclusive (the next or previous ID);
     * a missing sequence is 0 for a start and the largest for an end.
     */
    static StreamId parseBound(byte[] arg, boolean start) {
        if (arg.length > 1 && arg[0] == '(') {
            byte[] rest = java.util.Arrays.copyOfRange(arg, 1, arg.length);
            StreamId id = parseId(rest, start ? 0 : -1L, true);
            StreamId moved = start ? id.successor() : id.predecessor();
            if (moved == null) {
                throw new CommandException(start ? "ERR invalid start ID for the interval"
                        : "ERR invalid end ID for the interval");
            }
            return moved;
        }
        return parseId(arg, start ? 0 : -1L, false);
    }

    private static int indexOf(byte[] a, byte b) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** An unsigned 64-bit decimal (digits only, at most 2^64-1), or the invalid-ID error. */
    private static long parseUnsigned(byte[] a, int from, int to) {
        if (to <= from || to - from > 20) {
            throw INVALID_ID;
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = a[i] - '0';
            if (d < 0 || d > 9) {
                throw INVALID_ID;
            }
            long next = v * 10 + d;
            if (Long.compareUnsigned(v, Long.divideUnsigned(-1L, 10)) > 0 || Long.compareUnsigned(next, v * 10) < 0) {
                throw INVALID_ID;
            }
            v = next;
        }
        return v;
    }

    /** How a stream is to be trimmed. */
    enum Strategy { NONE, MAXLEN, MINID }

    /**
     * The trimming options of XADD or XTRIM.
     *
     * @param strategy   none, MAXLEN or MINID
     * @param approx     {@code ~} given: only whole nodes of {@value #NODE_ENTRIES} entries go
     * @param maxLen     MAXLEN's threshold
     * @param minId      MINID's threshold
     * @param limit      most entries an approximate trim removes (0: no limit)
     * @param noMkStream XADD's NOMKSTREAM
     * @param next       index of the first argument after the options (XADD's ID)
     */
    record Trim(Strategy strategy, boolean approx, long maxLen, StreamId minId, long limit, boolean noMkStream,
                int next) {}

    /** Parses options from argument 2; for XADD ({@code xadd}) stops at the ID, else at the end. */
    static Trim parseTrim(CommandContext ctx, boolean xadd) {
        byte[][] args = ctx.args();
        Strategy strategy = Strategy.NONE;
        boolean approx = false;
        long maxLen = 0;
        StreamId minId = StreamId.MIN;
        long limit = 0;
        boolean limitGiven = false;
        boolean noMk = false;
        int i = 2;
        for (; i < args.length; i++) {
            int more = args.length - 1 - i;
            byte[] opt = args[i];
            if (xadd && opt.length == 1 && opt[0] == '*') {
                break;
            } else if (CommandContext.equalsIgnoreCase(opt, "maxlen") && more > 0
                    || CommandContext.equalsIgnoreCase(opt, "minid") && more > 0) {
                if (strategy != Strategy.NONE) {
                    throw BOTH_STRATEGIES;
                }
                boolean isMaxLen = CommandContext.equalsIgnoreCase(opt, "maxlen");
                approx = false;
                byte[] nextArg = args[i + 1];
                if (more >= 2 && nextArg.length == 1 && (nextArg[0] == '~' || nextArg[0] == '=')) {
                    approx = nextArg[0] == '~';
                    i++;
                }
                if (isMaxLen) {
                    maxLen = io.converge.server.util.RedisNumbers.parseLong(args[i + 1]);
                    if (maxLen < 0) {
                        throw NEGATIVE_MAXLEN;
                    }
                    strategy = Strategy.MAXLEN;
                } else {
                    minId = parseId(args[i + 1], 0, true);
                    strategy = Strategy.MINID;
                }
                i++;
            } else if (CommandContext.equalsIgnoreCase(opt, "limit") && more > 0) {
                limit = io.converge.server.util.RedisNumbers.parseLong(args[i + 1]);
                if (limit < 0) {
                    throw NEGATIVE_LIMIT;
                }
                limitGiven = true;
                i++;
            } else if (xadd && CommandContext.equalsIgnoreCase(opt, "nomkstream")) {
                noMk = true;
            } else if (xadd) {
                break;
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        if (limitGiven) {
            if (!approx) {
                throw LIMIT_WITHOUT_APPROX;
            }
        } else {
            limit = approx ? NODE_ENTRIES * NODE_ENTRIES : 0;
        }
        return new Trim(strategy, approx, maxLen, minId, limit, noMk, i);
    }
}
