package io.converge.server.command.data;

import java.util.Arrays;
import java.util.Comparator;

/**
 * How SORT compares two elements, as Redis's {@code sortCompare}: numerically by score, equal
 * scores ordered by the elements' bytes (so a numeric sort is deterministic); with ALPHA by the
 * BY values (a missing one first) or else by the elements themselves, where equal values stay
 * equal. ALPHA compares as Redis does: with {@code strcoll} when it answers the client, which
 * under the C (and glibc's C.UTF-8) collation compares unsigned bytes up to the first NUL byte,
 * and by every byte ({@code memcmp}, then length) when it STOREs. DESC reverses the order and
 * keeps equal elements equal.
 */
final class SortOrder {
    private SortOrder() {}

    /** One element of the sorting vector with what it is compared by. */
    static final class Item {
        final byte[] element;
        /** The numeric sort key (0 when the BY key is missing). */
        double score;
        /** The ALPHA sort key from BY, or null when missing (or when sorting by the element). */
        byte[] weight;

        /** An item for {@code element} (not copied), its sort keys not yet set. */
        Item(byte[] element) {
            this.element = element;
        }
    }

    /**
     * The comparator of a sort: {@code alpha} or numeric, {@code byPattern} (ALPHA compares the BY
     * values), {@code store} (ALPHA compares every byte), {@code desc}.
     */
    static Comparator<Item> comparator(boolean alpha, boolean byPattern, boolean store, boolean desc) {
        Comparator<Item> ascending;
        if (!alpha) {
            ascending = SortOrder::numeric;
        } else if (byPattern) {
            ascending = (a, b) -> compareWeights(a.weight, b.weight, store);
        } else {
            ascending = (a, b) -> compareBytes(a.element, b.element, store);
        }
        return desc ? (a, b) -> -ascending.compare(a, b) : ascending;
    }

    private static int numeric(Item a, Item b) {
        if (a.score > b.score) {
            return 1;
        }
        if (a.score < b.score) {
            return -1;
        }
        return Integer.signum(Arrays.compareUnsigned(a.element, b.element));
    }

    private static int compareWeights(byte[] a, byte[] b, boolean store) {
        if (a == null || b == null) {
            return a == b ? 0 : a == null ? -1 : 1;
        }
        return compareBytes(a, b, store);
    }

    /** Every byte ({@code binary}), else as C strings: both as unsigned bytes; -1, 0 or 1. */
    private static int compareBytes(byte[] a, byte[] b, boolean binary) {
        if (binary) {
            return Integer.signum(Arrays.compareUnsigned(a, b));
        }
        return Integer.signum(Arrays.compareUnsigned(a, 0, cStringEnd(a), b, 0, cStringEnd(b)));
    }

    private static int cStringEnd(byte[] s) {
        int i = 0;
        while (i < s.length && s[i] != 0) {
            i++;
        }
        return i;
    }
}
