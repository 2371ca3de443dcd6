package io.converge.server.command;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@link KeyFinder} of numkeys-style commands ({@code ZUNIONSTORE dest numkeys key...},
 * {@code SINTERCARD numkeys key...}), extracting keys exactly as Redis 7.0's COMMAND GETKEYS does.
 *
 * <p>Redis first applies the key specs: numkeys must then be a strict integer ({@code string2ll}:
 * no sign but '-', no leading zero or space), at least 1, with that many keys present; the keys
 * come out as destination, then sources. When that fails it falls back to its older key
 * extraction, which reads numkeys with {@code atoi} (so {@code "2x"} or {@code " 1"} count as 2
 * and 1) and lists the sources first, then the destination. Only GETKEYS can tell the two apart:
 * the commands themselves refuse a numkeys that is not a strict integer.
 */
final class NumKeysFinder implements KeyFinder {
    private final int destinationIndex;
    private final int numKeysIndex;

    NumKeysFinder(int destinationIndex, int numKeysIndex) {
        this.destinationIndex = destinationIndex;
        this.numKeysIndex = numKeysIndex;
    }

    @Override
    public List<byte[]> keys(byte[][] args) {
        if (numKeysIndex >= args.length) {
            return List.of();
        }
        int first = numKeysIndex + 1;
        long strict = strictInteger(args[numKeysIndex]);
        if (strict >= 0) {
            // Redis adds (int) numkeys to the first key's index: the cast is reproduced.
            long last = (long) first + (int) strict - 1;
            if (last >= first && last < args.length) {
                List<byte[]> keys = new ArrayList<>((int) (last - first) + 2);
                if (destinationIndex > 0) {
                    keys.add(args[destinationIndex]);
                }
                for (int i = first; i <= last; i++) {
                    keys.add(args[i]);
                }
                return keys;
            }
        }
        int count = atoi(args[numKeysIndex]);
        if (count < 1 || count > args.length - first) {
            return List.of();
        }
        List<byte[]> keys = new ArrayList<>(count + 1);
        for (int i = first; i < first + count; i++) {
            keys.add(args[i]);
        }
        if (destinationIndex > 0) {
            keys.add(args[destinationIndex]);
        }
        return keys;
    }

    /** The value of a strict decimal integer (Redis's {@code string2ll}), or -1 if it is not one or is negative. */
    private static long strictInteger(byte[] s) {
        if (s.length == 0 || s.length > 19) {
            return -1; // empty, or beyond what a non-negative long can need (negatives are refused anyway)
        }
        if (s.length > 1 && s[0] == '0') {
            return -1;
        }
        long v = 0;
        for (byte b : s) {
            if (b < '0' || b > '9') {
                return -1; // also a '-' sign: negative counts are refused
            }
            v = v * 10 + (b - '0');
            if (v < 0) {
                return -1;
            }
        }
        return v;
    }

    /**
     * C's {@code atoi} as glibc implements it ({@code (int) strtol}): leading white space, an
     * optional sign, digits up to the first other byte; out-of-range values clamp to the long
     * range before the cast; nothing parsed is 0.
     */
    private static int atoi(byte[] s) {
        int i = 0;
        while (i < s.length && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) {
            i++;
        }
        boolean negative = false;
        if (i < s.length && (s[i] == '+' || s[i] == '-')) {
            negative = s[i] == '-';
            i++;
        }
        long v = 0;
        boolean overflow = false;
        for (; i < s.length && s[i] >= '0' && s[i] <= '9'; i++) {
            if (!overflow) {
                long next = v * 10 + (s[i] - '0');
                if (next < v || v > Long.MAX_VALUE / 10) {
                    overflow = true;
                } else {
                    v = next;
                }
            }
        }
        if (overflow) {
            v = negative ? Long.MIN_VALUE : Long.MAX_VALUE;
        } else if (negative) {
            v = -v;
        }
        return (int) v;
    }
}
