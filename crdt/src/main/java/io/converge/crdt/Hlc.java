package io.converge.crdt;

/**
 * Static helpers for hybrid-logical-clock timestamps packed into one {@code long}: the high 48
 * bits are physical milliseconds since the epoch, the low 16 bits a logical counter. Packed
 * timestamps order correctly with plain {@link Long#compare}, and "the next timestamp" is just
 * {@code hlc + 1} (a full logical counter carries into the physical part).
 */
public final class Hlc {

    /** Bits of the logical counter. */
    public static final int LOGICAL_BITS = 16;
    /** Largest logical counter. */
    public static final int MAX_LOGICAL = (1 << LOGICAL_BITS) - 1;
    /**
     * Largest physical part. Kept to 47 bits (year 6429) so packed timestamps stay positive and
     * signed comparison is correct.
     */
    public static final long MAX_PHYSICAL = (1L << 47) - 1;

    private Hlc() {}

    /** Packs physical milliseconds and a logical counter into one timestamp. */
    public static long pack(long physicalMs, int logical) {
        if (physicalMs < 0 || physicalMs > MAX_PHYSICAL) {
            throw new IllegalArgumentException("physical time out of range: " + physicalMs);
        }
        if (logical < 0 || logical > MAX_LOGICAL) {
            throw new IllegalArgumentException("logical counter out of range: " + logical);
        }
        return (physicalMs << LOGICAL_BITS) | logical;
    }

    /** The physical milliseconds of a packed timestamp. */
    public static long physical(long hlc) {
        return hlc >>> LOGICAL_BITS;
    }

    /** The logical counter of a packed timestamp. */
    public static int logical(long hlc) {
        return (int) (hlc & MAX_LOGICAL);
    }

    /** Compares two packed timestamps (negative, zero or positive). */
    public static int compare(long a, long b) {
        return Long.compare(a, b);
    }

    /** Human-readable form {@code physical.logical}, for logs and test output. */
    public static String toString(long hlc) {
        return physical(hlc) + "." + logical(hlc);
    }
}
