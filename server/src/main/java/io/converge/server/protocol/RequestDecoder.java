package io.converge.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes client requests (RESP multibulk and inline commands) from a connection's input buffer.
 *
 * <p>One instance per connection; not thread-safe. {@link #decode} is called repeatedly on the
 * cumulated input: it returns the next complete command as {@code byte[][]} (argument 0 is the
 * command name), {@code null} when more input is needed, or {@link #PROTOCOL_ERROR} after which
 * {@link #errorMessage()} holds the error to send before closing the connection.
 *
 * <p>The parsing follows redis-server's {@code processMultibulkBuffer}/{@code processInlineBuffer}
 * byte for byte, so that the same input yields the same replies and errors:
 * <ul>
 *   <li>a request starting with {@code '*'} is multibulk, anything else is inline;</li>
 *   <li>{@code *N} with N &le; 0 is an empty request and is skipped; N above {@code INT_MAX} or not
 *       a canonical integer is "invalid multibulk length";</li>
 *   <li>the byte after each {@code '\r'} of a header, and the two bytes after a bulk's payload, are
 *       skipped without being checked, as Redis does;</li>
 *   <li>header lines longer than 64 KB without a {@code '\r'} are "too big" errors;</li>
 *   <li>unauthenticated clients may not send more than 10 arguments or bulks over 16 KB.</li>
 * </ul>
 *
 * <p>Large bulks (at least {@link #LARGE_BULK_THRESHOLD} bytes) are not left in the input buffer:
 * their bytes are copied, as they arrive, into an array that starts at a bounded size and grows
 * geometrically up to the declared length, so a client that announces 500 MB and sends nothing
 * costs almost nothing.
 */
public final class RequestDecoder {

    /** Returned by {@link #decode} when the input violates the protocol. */
    public static final byte[][] PROTOCOL_ERROR = new byte[0][];

    /** Redis's PROTO_INLINE_MAX_SIZE: the longest inline request or header line. */
    public static final int INLINE_MAX_SIZE = 64 * 1024;
    /** Bulks of at least this size are collected outside of the input buffer. */
    public static final int LARGE_BULK_THRESHOLD = 32 * 1024;
    /** First allocation for a large bulk; it then doubles as data arrives. */
    private static final int LARGE_BULK_INITIAL = 256 * 1024;
    /** Largest multibulk count accepted, like Redis (INT_MAX). */
    private static final long MAX_MULTIBULK = Integer.MAX_VALUE;
    /** Largest array Java can allocate safely. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 16;
    /**
     * What one decoded argument of an unfinished request costs besides its bytes (the array's
     * header and its slot in the argument list), counted towards the client's query buffer.
     */
    static final int ARG_OVERHEAD_BYTES = 24;
    /** Arguments preallocated for a multibulk whatever count it announces. */
    private static final int MAX_PREALLOCATED_ARGS = 1024;
    /** Unauthenticated clients: most arguments and largest bulk (Redis's limits). */
    private static final int UNAUTHENTICATED_MAX_ARGS = 10;
    private static final int UNAUTHENTICATED_MAX_BULK = 16384;

    /** Where the decoder is inside the current request. */
    enum State {
        /** Between requests: the next byte decides multibulk or inline. */
        REQUEST_START,
        /** Inside a multibulk: expecting a {@code $len} header. */
        BULK_HEADER,
        /** Inside a multibulk: waiting for a small bulk's payload and CRLF in the input. */
        BULK_PAYLOAD,
        /** Inside a multibulk: copying a large bulk's payload into its own array. */
        LARGE_BULK_PAYLOAD,
        /** After a protocol error: nothing more is decoded. */
        FAILED
    }

    private State state = State.REQUEST_START;
    private byte[][] args;
    private int argCount;
    private int argsExpected;
    private int bulkLength;
    private byte[] largeBulk;
    private int largeBulkFilled;
    /** Bytes of the arguments of the current, unfinished request decoded so far (with their overhead). */
    private long decodedBytes;
    private byte[] errorMessage;

    /** Result slot of {@link #parseRedisLong}: whether the last parse succeeded. */
    private boolean parsedOk;

    /**
     * Decodes the next request.
     *
     * @param in the cumulated input; consumed bytes are skipped (reader index advanced)
     * @param maxBulkLength {@code proto-max-bulk-len}
     * @param unauthenticated whether the stricter limits for clients that must still AUTH apply
     * @return the arguments of a complete request, {@code null} if more input is needed, or
     *     {@link #PROTOCOL_ERROR}
     */
    public byte[][] decode(ByteBuf in, long maxBulkLength, boolean unauthenticated) {
        while (true) {
            switch (state) {
                case REQUEST_START -> {
                    if (!in.isReadable()) {
                        return null;
                    }
                    if (in.getByte(in.readerIndex()) == '*') {
                        int r = readMultibulkCount(in, unauthenticated);
                        if (r < 0) {
                            return r == NEED_MORE ? null : PROTOCOL_ERROR;
                        }
                        // r == 0: empty multibulk, skipped; otherwise state moved to BULK_HEADER
                    } else {
                        byte[][] inline = readInline(in);
                        if (inline != EMPTY_REQUEST) {
                            return inline;
                        }
                    }
                }
                case BULK_HEADER -> {
                    int r = readBulkHeader(in, maxBulkLength, unauthenticated);
                    if (r < 0) {
                        return r == NEED_MORE ? null : PROTOCOL_ERROR;
                    }
                }
                case BULK_PAYLOAD -> {
                    if (in.readableBytes() < (long) bulkLength + 2) {
                        return null;
                    }
                    byte[] arg = new byte[bulkLength];
                    in.readBytes(arg);
                    in.skipBytes(2);
                    byte[][] done = addArg(arg);
                    if (done != null) {
                        return done;
                    }
                }
                case LARGE_BULK_PAYLOAD -> {
                    if (!copyLargeBulk(in)) {
                        return null;
                    }
                    byte[] arg = largeBulk;
                    largeBulk = null;
                    largeBulkFilled = 0;
                    byte[][] done = addArg(arg);
                    if (done != null) {
                        return done;
                    }
                }
                case FAILED -> {
                    return PROTOCOL_ERROR;
                }
            }
        }
    }

    /** The error to reply with (without the leading {@code '-'} and CRLF) after {@link #PROTOCOL_ERROR}. */
    public byte[] errorMessage() {
        return errorMessage;
    }

    /**
     * Bytes of the current, unfinished request held outside the input buffer: its arguments
     * decoded so far ({@link #ARG_OVERHEAD_BYTES} each besides their length) and a large bulk
     * being collected. They count towards the client's query buffer, so a request announcing
     * billions of arguments and sending small ones forever is closed at {@code
     * client-query-buffer-limit} instead of filling the heap (Redis 7.0 keeps reading it).
     */
    public long pendingBytes() {
        return decodedBytes + (largeBulk == null ? 0 : largeBulkFilled);
    }

    /** Drops partial state (when the connection closes). */
    public void reset() {
        args = null;
        decodedBytes = 0;
        largeBulk = null;
        largeBulkFilled = 0;
        argCount = 0;
        state = State.REQUEST_START;
    }

    /** Number of arguments received so far of the request being decoded (for CLIENT LIST). */
    public int partialArgCount() {
        return argCount;
    }

    private static final int NEED_MORE = -1;
    private static final int FAILURE = -2;
    private static final byte[][] EMPTY_REQUEST = new byte[0][];
    private static final ByteProcessor UNTIL_CR_OR_NUL = b -> b != '\r' && b != 0;
    private static final ByteProcessor UNTIL_LF_OR_NUL = b -> b != '\n' && b != 0;

    /** Reads {@code *N\r\n}; returns N &gt; 0 (state set), 0 for an empty request, or NEED_MORE/FAILURE. */
    private int readMultibulkCount(ByteBuf in, boolean unauthenticated) {
        int start = in.readerIndex();
        int cr = findLineEnd(in, (byte) '\r');
        if (cr < 0) {
            if (in.readableBytes() > INLINE_MAX_SIZE) {
                return fail("ERR Protocol error: too big mbulk count string");
            }
            return NEED_MORE;
        }
        if (cr + 1 >= in.writerIndex()) {
            return NEED_MORE; // the byte after '\r' is not there yet
        }
        long count = parseRedisLong(in, start + 1, cr);
        if (!parsedOk || count > MAX_MULTIBULK) {
            return fail("ERR Protocol error: invalid multibulk length");
        }
        if (count > UNAUTHENTICATED_MAX_ARGS && unauthenticated) {
            return fail("ERR Protocol error: unauthenticated multibulk length");
        }
        in.readerIndex(cr + 2);
        if (count <= 0) {
            return 0;
        }
        argsExpected = (int) count;
        argCount = 0;
        args = new byte[Math.min(argsExpected, MAX_PREALLOCATED_ARGS)][];
        state = State.BULK_HEADER;
        return argsExpected;
    }

    /** Reads {@code $len\r\n}; returns 0 when the header was consumed, or NEED_MORE/FAILURE. */
    private int readBulkHeader(ByteBuf in, long maxBulkLength, boolean unauthenticated) {
        int start = in.readerIndex();
        int cr = findLineEnd(in, (byte) '\r');
        if (cr < 0) {
            if (in.readableBytes() > INLINE_MAX_SIZE) {
                return fail("ERR Protocol error: too big bulk count string");
            }
            return NEED_MORE;
        }
        if (cr + 1 >= in.writerIndex()) {
            return NEED_MORE;
        }
        byte first = in.getByte(start);
        if (first != '$') {
            byte[] prefix = "ERR Protocol error: expected '$', got '".getBytes(StandardCharsets.US_ASCII);
            byte[] msg = Arrays.copyOf(prefix, prefix.length + 2);
            msg[prefix.length] = first;
            msg[prefix.length + 1] = '\'';
            return fail(msg);
        }
        long length = parseRedisLong(in, start + 1, cr);
        if (!parsedOk || length < 0 || length > maxBulkLength || length > MAX_ARRAY) {
            return fail("ERR Protocol error: invalid bulk length");
        }
        if (length > UNAUTHENTICATED_MAX_BULK && unauthenticated) {
            return fail("ERR Protocol error: unauthenticated bulk length");
        }
        in.readerIndex(cr + 2);
        bulkLength = (int) length;
        if (bulkLength >= LARGE_BULK_THRESHOLD) {
            largeBulk = new byte[Math.min(bulkLength, Math.max(LARGE_BULK_INITIAL, in.readableBytes()))];
            largeBulkFilled = 0;
            state = State.LARGE_BULK_PAYLOAD;
        } else {
            state = State.BULK_PAYLOAD;
        }
        return 0;
    }

    /**
     * Copies available payload bytes of a large bulk (and then its two trailing bytes) out of the
     * input; returns true once the whole bulk and its trailer have been consumed.
     */
    private boolean copyLargeBulk(ByteBuf in) {
        // largeBulkFilled counts payload bytes, then up to 2 trailer bytes beyond bulkLength.
        if (largeBulkFilled < bulkLength) {
            int n = Math.min(in.readableBytes(), bulkLength - largeBulkFilled);
            if (largeBulkFilled + n > largeBulk.length) {
                long grown = Math.max((long) largeBulk.length * 2, (long) largeBulkFilled + n);
                largeBulk = Arrays.copyOf(largeBulk, (int) Math.min(grown, bulkLength));
            }
            in.readBytes(largeBulk, largeBulkFilled, n);
            largeBulkFilled += n;
        }
        if (largeBulkFilled >= bulkLength) {
            int trailerNeeded = bulkLength + 2 - largeBulkFilled;
            int n = Math.min(in.readableBytes(), trailerNeeded);
            in.skipBytes(n);
            largeBulkFilled += n;
            return largeBulkFilled == bulkLength + 2;
        }
        return false;
    }

    /** Appends an argument; returns the finished request when it was the last one. */
    private byte[][] addArg(byte[] arg) {
        if (argCount == args.length) {
            args = Arrays.copyOf(args, (int) Math.min((long) args.length * 2, argsExpected));
        }
        args[argCount++] = arg;
        if (argCount == argsExpected) {
            byte[][] done = args;
            args = null;
            argCount = 0;
            decodedBytes = 0;
            state = State.REQUEST_START;
            return done;
        }
        decodedBytes += arg.length + ARG_OVERHEAD_BYTES;
        state = State.BULK_HEADER;
        return null;
    }

    /** Reads one inline request line; returns its arguments, EMPTY_REQUEST, null or PROTOCOL_ERROR. */
    private byte[][] readInline(ByteBuf in) {
        int start = in.readerIndex();
        int newline = findLineEnd(in, (byte) '\n');
        if (newline < 0) {
            if (in.readableBytes() > INLINE_MAX_SIZE) {
                fail("ERR Protocol error: too big inline request");
                return PROTOCOL_ERROR;
            }
            return null;
        }
        int end = newline;
        if (end != start && in.getByte(end - 1) == '\r') {
            end--;
        }
        byte[] line = new byte[end - start];
        in.getBytes(start, line);
        byte[][] parsed = InlineSplitter.split(line);
        if (parsed == null) {
            fail("ERR Protocol error: unbalanced quotes in request");
            return PROTOCOL_ERROR;
        }
        in.readerIndex(newline + 1);
        return parsed.length == 0 ? EMPTY_REQUEST : parsed;
    }

    /**
     * Index of the first {@code terminator} byte from the reader index, or -1 when there is none
     * or a NUL byte comes first: Redis searches its query buffer with {@code strchr}, which stops
     * at NUL, so a NUL before the line end means "no line end yet" there too.
     */
    private static int findLineEnd(ByteBuf in, byte terminator) {
        int i = in.forEachByte(terminator == '\r' ? UNTIL_CR_OR_NUL : UNTIL_LF_OR_NUL);
        if (i < 0 || in.getByte(i) != terminator) {
            return -1;
        }
        return i;
    }

    private int fail(String message) {
        return fail(message.getBytes(StandardCharsets.US_ASCII));
    }

    private int fail(byte[] message) {
        errorMessage = message;
        state = State.FAILED;
        args = null;
        largeBulk = null;
        return FAILURE;
    }

    /**
     * Parses {@code [from, to)} as redis-server's {@code string2ll} does: optional '-', no '+',
     * no leading zeros (except "0" itself), no spaces, must fit a signed 64-bit integer. Sets
     * {@link #parsedOk}.
     */
    private long parseRedisLong(ByteBuf in, int from, int to) {
        parsedOk = false;
        int len = to - from;
        if (len <= 0 || len > 20) {
            return 0;
        }
        int i = from;
        boolean negative = false;
        if (len == 1 && in.getByte(i) == '0') {
            parsedOk = true;
            return 0;
        }
        if (in.getByte(i) == '-') {
            negative = true;
            i++;
            if (i == to) {
                return 0;
            }
        }
        byte c = in.getByte(i);
        if (c < '1' || c > '9') {
            return 0;
        }
        long value = c - '0';
        i++;
        // Accumulate as a negative number so Long.MIN_VALUE parses too.
        long acc = -value;
        for (; i < to; i++) {
            c = in.getByte(i);
            if (c < '0' || c > '9') {
                return 0;
            }
            if (acc < Long.MIN_VALUE / 10) {
                return 0;
            }
            acc *= 10;
            int d = c - '0';
            if (acc < Long.MIN_VALUE + d) {
                return 0;
            }
            acc -= d;
        }
        if (!negative) {
            if (acc == Long.MIN_VALUE) {
                return 0;
            }
            acc = -acc;
        }
        parsedOk = true;
        return acc;
    }
}
