package io.converge.server.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * Writes RESP replies for one connection straight into its outbound buffer, in the connection's
 * protocol version (2 or 3).
 *
 * <p>Every RESP3 type has a method; in RESP2 each is downgraded exactly as redis-server does:
 * maps become flat arrays of 2n elements, sets and pushes become arrays, doubles and big numbers
 * become bulk strings, booleans become integers 1/0, verbatim strings become bulk strings, and
 * the RESP3 null is {@code $-1} for a missing value ({@link #nullBulk()}) or {@code *-1} for a
 * missing array ({@link #nullArray()}).
 *
 * <p>The buffer is allocated lazily from the channel's (pooled, direct) allocator and handed to
 * the network layer with {@link #takeBuffer()} once per read batch, so pipelined replies go out
 * in one write. Not thread-safe: used only on the connection's event loop.
 */
public final class ReplyWriter {

    /** Receives every error reply written, for error statistics. */
    @FunctionalInterface
    public interface ErrorListener {
        /** Called with the error text (no leading '-', no CRLF) just written. */
        void onError(byte[] message, int length);
    }

    private static final int INITIAL_CAPACITY = 512;
    /** The largest buffer {@link #takeBytes} keeps for the next replies. */
    private static final int KEPT_CAPACITY = 64 << 10;
    private static final byte[] EMPTY_BYTES = new byte[0];
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] OK = bytes("+OK\r\n");
    private static final byte[] NULL_BULK_RESP2 = bytes("$-1\r\n");
    private static final byte[] NULL_ARRAY_RESP2 = bytes("*-1\r\n");
    private static final byte[] NULL_RESP3 = bytes("_\r\n");
    private static final byte[] TRUE_RESP3 = bytes("#t\r\n");
    private static final byte[] FALSE_RESP3 = bytes("#f\r\n");
    private static final byte[] EMPTY_ARRAY = bytes("*0\r\n");
    private static final int CACHED_HEADERS = 1024;
    private static final byte[][] BULK_HEADERS = new byte[CACHED_HEADERS][];
    private static final byte[][] ARRAY_HEADERS = new byte[CACHED_HEADERS][];
    private static final byte[][] INTEGERS = new byte[CACHED_HEADERS][];

    static {
        for (int i = 0; i < CACHED_HEADERS; i++) {
            BULK_HEADERS[i] = bytes("$" + i + "\r\n");
            ARRAY_HEADERS[i] = bytes("*" + i + "\r\n");
            INTEGERS[i] = bytes(":" + i + "\r\n");
        }
    }

    private final ByteBufAllocator allocator;
    private final ErrorListener errorListener;
    private ByteBuf buf;
    private int protocol = 2;
    private long errorsWritten;
    private int openDeferred;

    /** Creates a writer that allocates from {@code allocator} and reports errors to {@code errorListener}. */
    public ReplyWriter(ByteBufAllocator allocator, ErrorListener errorListener) {
        this.allocator = allocator;
        this.errorListener = errorListener;
    }

    /** The protocol version replies are written in (2 or 3). */
    public int protocol() {
        return protocol;
    }

    /** Switches the protocol version (HELLO, RESET). */
    public void protocol(int version) {
        this.protocol = version;
    }

    /** Whether RESP3 types are written as such. */
    public boolean isResp3() {
        return protocol == 3;
    }

    /** How many error replies this writer has written so far. */
    public long errorsWritten() {
        return errorsWritten;
    }

    // ---------------------------------------------------------------- simple types

    /** {@code +OK}. */
    public void ok() {
        out().writeBytes(OK);
    }

    /** A simple (status) string such as {@code +PONG}; must not contain CR or LF. */
    public void simple(String status) {
        ByteBuf b = out();
        b.writeByte('+');
        b.writeCharSequence(status, StandardCharsets.UTF_8);
        b.writeBytes(CRLF);
    }

    /** A pre-encoded reply (e.g. {@code "+QUEUED\r\n"} as bytes), written verbatim. */
    public void raw(byte[] encoded) {
        out().writeBytes(encoded);
    }

    /**
     * An error reply. {@code message} includes the error code, e.g. {@code "ERR syntax error"} or
     * {@code "WRONGTYPE Operation against a key holding the wrong kind of value"}; CR and LF
     * inside are replaced by spaces, as Redis does.
     */
    public void error(String message) {
        error(message.getBytes(StandardCharsets.UTF_8));
    }

    /** An error reply from raw bytes (see {@link #error(String)}). */
    public void error(byte[] message) {
        ByteBuf b = out();
        b.writeByte('-');
        int start = b.writerIndex();
        b.writeBytes(message);
        for (int i = start; i < b.writerIndex(); i++) {
            byte c = b.getByte(i);
            if (c == '\r' || c == '\n') {
                b.setByte(i, ' ');
            }
        }
        b.writeBytes(CRLF);
        errorsWritten++;
        if (errorListener != null) {
            errorListener.onError(message, message.length);
        }
    }

    /** An integer reply {@code :n}. */
    public void integer(long value) {
        ByteBuf b = out();
        if (value >= 0 && value < CACHED_HEADERS) {
            b.writeBytes(INTEGERS[(int) value]);
            return;
        }
        b.writeByte(':');
        writeDecimal(b, value);
        b.writeBytes(CRLF);
    }

    // ---------------------------------------------------------------- bulk strings

    /** A bulk string. */
    public void bulk(byte[] value) {
        bulk(value, 0, value.length);
    }

    /** A bulk string from a slice of an array. */
    public void bulk(byte[] value, int offset, int length) {
        ByteBuf b = out();
        writeHeader(b, '$', length, BULK_HEADERS);
        b.writeBytes(value, offset, length);
        b.writeBytes(CRLF);
    }

    /** A bulk string holding the UTF-8 bytes of {@code value}. */
    public void bulk(String value) {
        bulk(value.getBytes(StandardCharsets.UTF_8));
    }

    /** A bulk string holding the decimal form of {@code value} (as Redis's addReplyBulkLongLong). */
    public void bulk(long value) {
        ByteBuf b = out();
        int digits = decimalLength(value);
        writeHeader(b, '$', digits, BULK_HEADERS);
        writeDecimal(b, value);
        b.writeBytes(CRLF);
    }

    /** The null bulk string: {@code $-1} in RESP2, {@code _} in RESP3 (a missing value). */
    public void nullBulk() {
        out().writeBytes(protocol == 3 ? NULL_RESP3 : NULL_BULK_RESP2);
    }

    /** The null array: {@code *-1} in RESP2, {@code _} in RESP3 (e.g. an aborted EXEC). */
    public void nullArray() {
        out().writeBytes(protocol == 3 ? NULL_RESP3 : NULL_ARRAY_RESP2);
    }

    /** A verbatim string ({@code =len\r\ntxt:...} in RESP3, a bulk string in RESP2); format is 3 letters. */
    public void verbatim(byte[] value, String format) {
        if (protocol != 3) {
            bulk(value);
            return;
        }
        ByteBuf b = out();
        writeHeader(b, '=', value.length + 4, null);
        b.writeCharSequence(format, StandardCharsets.US_ASCII);
        b.writeByte(':');
        b.writeBytes(value);
        b.writeBytes(CRLF);
    }

    /** A verbatim text string (format {@code txt}). */
    public void verbatim(String text) {
        verbatim(text.getBytes(StandardCharsets.UTF_8), "txt");
    }

    // ---------------------------------------------------------------- aggregates

    /** An array header announcing {@code count} elements that the caller then writes. */
    public void arrayHeader(int count) {
        writeHeader(out(), '*', count, ARRAY_HEADERS);
    }

    /** The empty array {@code *0}. */
    public void emptyArray() {
        out().writeBytes(EMPTY_ARRAY);
    }

    /** A map header of {@code pairs} key/value pairs: {@code %n} in RESP3, {@code *2n} in RESP2. */
    public void mapHeader(int pairs) {
        if (protocol == 3) {
            writeHeader(out(), '%', pairs, null);
        } else {
            writeHeader(out(), '*', pairs * 2, ARRAY_HEADERS);
        }
    }

    /** A set header: {@code ~n} in RESP3, {@code *n} in RESP2. */
    public void setHeader(int count) {
        if (protocol == 3) {
            writeHeader(out(), '~', count, null);
        } else {
            writeHeader(out(), '*', count, ARRAY_HEADERS);
        }
    }

    /** A push header: {@code >n} in RESP3, {@code *n} in RESP2. */
    public void pushHeader(int count) {
        if (protocol == 3) {
            writeHeader(out(), '>', count, null);
        } else {
            writeHeader(out(), '*', count, ARRAY_HEADERS);
        }
    }

    /** An array of bulk strings. */
    public void bulkArray(byte[][] values) {
        arrayHeader(values.length);
        for (byte[] v : values) {
            if (v == null) {
                nullBulk();
            } else {
                bulk(v);
            }
        }
    }

    /** An array of simple strings (e.g. HELP output). */
    public void simpleArray(String... lines) {
        arrayHeader(lines.length);
        for (String line : lines) {
            simple(line);
        }
    }

    // ---------------------------------------------------------------- RESP3 scalars

    /**
     * A double: {@code ,1.5} in RESP3, a bulk string in RESP2, formatted like Redis 7.0
     * ({@code %.17g}, {@code inf}/{@code -inf}); see {@link RespDoubles}.
     */
    public void doubleValue(double value) {
        byte[] text = RespDoubles.format(value);
        if (protocol == 3) {
            ByteBuf b = out();
            b.writeByte(',');
            b.writeBytes(text);
            b.writeBytes(CRLF);
        } else {
            bulk(text);
        }
    }

    /** A boolean: {@code #t}/{@code #f} in RESP3, {@code :1}/{@code :0} in RESP2. */
    public void bool(boolean value) {
        if (protocol == 3) {
            out().writeBytes(value ? TRUE_RESP3 : FALSE_RESP3);
        } else {
            integer(value ? 1 : 0);
        }
    }

    /** The RESP3 null {@code _}; in RESP2 the null bulk {@code $-1}. */
    public void nullValue() {
        nullBulk();
    }

    /** A big number ({@code (digits} in RESP3, a bulk string in RESP2). */
    public void bigNumber(String digits) {
        if (protocol == 3) {
            ByteBuf b = out();
            b.writeByte('(');
            b.writeCharSequence(digits, StandardCharsets.US_ASCII);
            b.writeBytes(CRLF);
        } else {
            bulk(digits);
        }
    }

    // ---------------------------------------------------------------- deferred lengths

    /**
     * Starts an aggregate whose element count is not known yet; write the elements, then call
     * {@link #endDeferredArray}/{@link #endDeferredMap}/{@link #endDeferredSet} with the returned
     * token. Deferred aggregates may nest.
     */
    public int beginDeferred() {
        openDeferred++;
        return out().writerIndex();
    }

    /** Ends a deferred array of {@code count} elements. */
    public void endDeferredArray(int token, int count) {
        endDeferred(token, '*', count);
    }

    /** Ends a deferred map of {@code pairs} pairs (written as 2*pairs elements). */
    public void endDeferredMap(int token, int pairs) {
        if (protocol == 3) {
            endDeferred(token, '%', pairs);
        } else {
            endDeferred(token, '*', pairs * 2);
        }
    }

    /** Ends a deferred set of {@code count} elements. */
    public void endDeferredSet(int token, int count) {
        endDeferred(token, protocol == 3 ? '~' : '*', count);
    }

    private void endDeferred(int token, char type, int count) {
        // The elements were written from `token` on; move them behind the header. Copying once is
        // cheaper than Redis-style reply-block juggling for the sizes involved.
        ByteBuf b = out();
        int contentLength = b.writerIndex() - token;
        byte[] content = new byte[contentLength];
        b.getBytes(token, content);
        b.writerIndex(token);
        writeHeader(b, type, count, type == '*' ? ARRAY_HEADERS : null);
        b.writeBytes(content);
        openDeferred--;
    }

    // ---------------------------------------------------------------- buffer management

    /** Bytes written and not yet taken. */
    public int pendingBytes() {
        return buf == null ? 0 : buf.readableBytes();
    }

    /** Whether it is safe to hand out the buffer (no deferred aggregate is open). */
    public boolean canTake() {
        return openDeferred == 0;
    }

    /** Position to roll back to with {@link #rollback} if a command fails half-way. */
    public int mark() {
        return buf == null ? 0 : buf.writerIndex();
    }

    /** Discards what was written since {@code mark}. */
    public void rollback(int mark) {
        openDeferred = 0;
        if (buf != null && buf.writerIndex() > mark) {
            buf.writerIndex(Math.max(mark, buf.readerIndex()));
        }
    }

    /** Hands over the written replies (or null if none); the writer starts a fresh buffer next time. */
    public ByteBuf takeBuffer() {
        ByteBuf b = buf;
        buf = null;
        if (b != null && !b.isReadable()) {
            b.release();
            return null;
        }
        return b;
    }

    /**
     * The written replies as bytes (an empty array if none), for a writer whose replies are copied
     * out rather than sent: the buffer is emptied and kept for the next replies (unless it grew past
     * {@link #KEPT_CAPACITY}), so a session that answers many small commands allocates only the
     * copies.
     */
    public byte[] takeBytes() {
        ByteBuf b = buf;
        if (b == null || !b.isReadable()) {
            return EMPTY_BYTES;
        }
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        if (b.capacity() > KEPT_CAPACITY) {
            b.release();
            buf = null;
        } else {
            b.clear();
        }
        return out;
    }

    /** Releases the buffer (connection closed). */
    public void release() {
        if (buf != null) {
            buf.release();
            buf = null;
        }
    }

    private ByteBuf out() {
        ByteBuf b = buf;
        if (b == null) {
            b = allocator.ioBuffer(INITIAL_CAPACITY);
            buf = b;
        }
        return b;
    }

    private static void writeHeader(ByteBuf b, char type, long count, byte[][] cache) {
        if (cache != null && count >= 0 && count < CACHED_HEADERS) {
            b.writeBytes(cache[(int) count]);
            return;
        }
        b.writeByte(type);
        writeDecimal(b, count);
        b.writeBytes(CRLF);
    }

    /** Writes the decimal digits of {@code value} without allocating. */
    public static void writeDecimal(ByteBuf b, long value) {
        if (value == Long.MIN_VALUE) {
            b.writeCharSequence("-9223372036854775808", StandardCharsets.US_ASCII);
            return;
        }
        if (value < 0) {
            b.writeByte('-');
            value = -value;
        }
        int len = decimalLength(value);
        b.ensureWritable(len);
        int end = b.writerIndex() + len;
        int i = end;
        do {
            b.setByte(--i, (int) ('0' + value % 10));
            value /= 10;
        } while (value != 0);
        b.writerIndex(end);
    }

    /** Number of characters of the decimal form of {@code value}, sign included. */
    public static int decimalLength(long value) {
        if (value == Long.MIN_VALUE) {
            return 20;
        }
        int sign = 0;
        if (value < 0) {
            sign = 1;
            value = -value;
        }
        int len = 1;
        long p = 10;
        while (len < 19 && value >= p) {
            len++;
            p *= 10;
        }
        return len + sign;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
