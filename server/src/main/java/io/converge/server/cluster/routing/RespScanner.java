package io.converge.server.cluster.routing;

/**
 * Just enough of a RESP2/RESP3 reader to reassemble the replies of a command split per replica
 * set: find where a value ends, read an integer, an aggregate's element count, whether a reply is
 * an error. Works on a complete reply held in a byte array (as a replica returns it); a malformed
 * reply throws {@link IllegalArgumentException}.
 */
final class RespScanner {
    private RespScanner() {}

    /** Whether the reply at {@code pos} is an error ({@code -...} or RESP3 {@code !...}). */
    static boolean isError(byte[] b, int pos) {
        return pos < b.length && (b[pos] == '-' || b[pos] == '!');
    }

    /** The integer reply at {@code pos} ({@code :n}). */
    static long integer(byte[] b, int pos) {
        if (pos >= b.length || b[pos] != ':') {
            throw new IllegalArgumentException("expected an integer reply");
        }
        return number(b, pos + 1, lineEnd(b, pos));
    }

    /** The element count of the array, set or push header at {@code pos}. */
    static int aggregateCount(byte[] b, int pos) {
        if (pos >= b.length || (b[pos] != '*' && b[pos] != '~' && b[pos] != '>')) {
            throw new IllegalArgumentException("expected an array reply");
        }
        return (int) number(b, pos + 1, lineEnd(b, pos));
    }

    /** Index just after the header line (type byte through CRLF) of the value at {@code pos}. */
    static int afterHeader(byte[] b, int pos) {
        return lineEnd(b, pos) + 2;
    }

    /** Index just after the whole value starting at {@code pos}. */
    static int end(byte[] b, int pos) {
        if (pos >= b.length) {
            throw new IllegalArgumentException("truncated reply");
        }
        byte type = b[pos];
        int eol = lineEnd(b, pos);
        switch (type) {
            case '+', '-', ':', ',', '#', '_', '(' -> {
                return eol + 2;
            }
            case '$', '=', '!' -> {
                long len = number(b, pos + 1, eol);
                if (len < 0) {
                    return eol + 2; // null bulk
                }
                int end = eol + 2 + (int) len + 2;
                if (end > b.length) {
                    throw new IllegalArgumentException("truncated bulk reply");
                }
                return end;
            }
            case '*', '~', '>', '%', '|' -> {
                long n = number(b, pos + 1, eol);
                int p = eol + 2;
                if (n < 0) {
                    return p; // null array
                }
                long elements = type == '%' || type == '|' ? 2 * n : n;
                for (long i = 0; i < elements; i++) {
                    p = end(b, p);
                }
                return type == '|' ? end(b, p) : p; // an attribute precedes the actual value
            }
            default -> throw new IllegalArgumentException("unknown reply type '" + (char) type + "'");
        }
    }

    private static int lineEnd(byte[] b, int pos) {
        for (int i = pos; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        throw new IllegalArgumentException("truncated reply line");
    }

    private static long number(byte[] b, int from, int to) {
        if (from >= to) {
            throw new IllegalArgumentException("empty number in reply");
        }
        boolean negative = b[from] == '-';
        long n = 0;
        for (int i = negative ? from + 1 : from; i < to; i++) {
            byte c = b[i];
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("bad number in reply");
            }
            n = n * 10 + (c - '0');
        }
        return negative ? -n : n;
    }
}
