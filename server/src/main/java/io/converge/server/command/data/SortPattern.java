package io.converge.server.command.data;

import java.util.Arrays;

/**
 * A BY or GET pattern of SORT, read as Redis's {@code lookupKeyByPattern} reads it: {@code #}
 * stands for the element itself; otherwise the first {@code *} is replaced by the element to form
 * a key name, and a non-empty {@code ->field} after the {@code *} names a hash field of that key.
 * A pattern without {@code *} forms no key (GET answers nil, BY means "do not sort").
 *
 * <p>Redis reads the pattern as a C string when it looks for {@code #}, {@code *} and {@code ->}
 * (the search stops at the first NUL byte), but copies the whole argument when it forms the key:
 * this class does the same, so patterns holding NUL bytes behave as in Redis.
 */
final class SortPattern {
    private final byte[] pattern;
    private final boolean self;
    /** Index of the {@code *}, or -1. */
    private final int star;
    /** Index of the {@code ->} before a non-empty field, or -1. */
    private final int arrow;
    private final byte[] field;

    private SortPattern(byte[] pattern) {
        this.pattern = pattern;
        int end = cStringEnd(pattern);
        this.self = end == 1 && pattern[0] == '#';
        this.star = indexOf(pattern, (byte) '*', 0, end);
        this.arrow = star < 0 ? -1 : fieldArrow(pattern, star + 1, end);
        this.field = arrow < 0 ? null : Arrays.copyOfRange(pattern, arrow + 2, pattern.length);
    }

    /** The pattern {@code pattern} (an argument; not copied, not to be mutated). */
    static SortPattern of(byte[] pattern) {
        return new SortPattern(pattern);
    }

    /** Whether the pattern is {@code #}: the element itself. */
    boolean isSelf() {
        return self;
    }

    /** Whether the pattern forms keys (it has a {@code *} and is not {@code #}). */
    boolean formsKeys() {
        return !self && star >= 0;
    }

    /** Whether the pattern holds a {@code *} (Redis sorts by a BY pattern only then). */
    boolean hasStar() {
        return star >= 0;
    }

    /** The key the pattern forms for {@code element}; only when {@link #formsKeys()}. */
    byte[] key(byte[] element) {
        int suffixEnd = arrow >= 0 ? arrow : pattern.length;
        int suffix = suffixEnd - star - 1;
        byte[] key = new byte[star + element.length + suffix];
        System.arraycopy(pattern, 0, key, 0, star);
        System.arraycopy(element, 0, key, star, element.length);
        System.arraycopy(pattern, star + 1, key, star + element.length, suffix);
        return key;
    }

    /** The hash field the pattern names ({@code ->field}; not to be mutated), or null for a string value. */
    byte[] field() {
        return field;
    }

    /** Length of the C string at the start of {@code s}: up to its first NUL byte. */
    private static int cStringEnd(byte[] s) {
        int i = 0;
        while (i < s.length && s[i] != 0) {
            i++;
        }
        return i;
    }

    private static int indexOf(byte[] s, byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The first {@code ->} in the C string {@code s[from, end)} if a field follows it (a byte
     * other than NUL, the terminator included), else -1.
     */
    private static int fieldArrow(byte[] s, int from, int end) {
        for (int i = from; i + 1 < end; i++) {
            if (s[i] == '-' && s[i + 1] == '>') {
                return i + 2 < s.length && s[i + 2] != 0 ? i : -1;
            }
        }
        return -1;
    }
}
