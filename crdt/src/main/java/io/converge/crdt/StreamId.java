package io.converge.crdt;

/**
 * A stream entry ID: two unsigned 64-bit numbers, milliseconds and sequence, ordered as unsigned
 * pairs (Redis's {@code streamID}). Also the rules that pick the ID of an XADD with {@code *} or
 * {@code ms-*} after a stream's last ID.
 *
 * <p><b>Replica-tagged sequences.</b> An auto ID made by the key's first replica (its primary in
 * ring order; every replica when the cluster is healthy routes XADD there) is Redis's: the time,
 * sequence 0, or the last ID's sequence plus one. Any other replica (one that generates because a
 * partition or a failure cut it off from the primary) takes sequences from a space of its own:
 * the top bit set, its 16-bit tag in bits 40 to 55, a counter in the low 40 bits. No two
 * replicas' auto IDs can then be equal, whatever they do while apart.
 */
public record StreamId(long ms, long seq) implements Comparable<StreamId> {

    /** {@code 0-0}: the smallest ID, the last ID of a stream that never had an entry. */
    public static final StreamId MIN = new StreamId(0, 0);
    /** The largest ID ({@code 18446744073709551615-18446744073709551615}). */
    public static final StreamId MAX = new StreamId(-1L, -1L);
    /** The bit marking a replica-tagged sequence. */
    public static final long TAGGED = 1L << 63;
    private static final int TAG_SHIFT = 40;
    private static final long COUNTER_MASK = (1L << TAG_SHIFT) - 1;
    /** The largest replica tag. */
    public static final int MAX_TAG = 0xFFFF;

    @Override
    public int compareTo(StreamId o) {
        int c = Long.compareUnsigned(ms, o.ms);
        return c != 0 ? c : Long.compareUnsigned(seq, o.seq);
    }

    /** The next ID in order, or null after {@link #MAX}. */
    public StreamId successor() {
        if (seq != -1L) {
            return new StreamId(ms, seq + 1);
        }
        return ms == -1L ? null : new StreamId(ms + 1, 0);
    }

    /** The previous ID in order, or null before {@link #MIN}. */
    public StreamId predecessor() {
        if (seq != 0) {
            return new StreamId(ms, seq - 1);
        }
        return ms == 0 ? null : new StreamId(ms - 1, -1L);
    }

    /**
     * The ID of an XADD with {@code *} at {@code nowMs} after {@code last}, or null when no ID
     * greater than {@code last} is left. {@code tag} is -1 on the key's primary (Redis's IDs),
     * else the replica's tag (0 to {@link #MAX_TAG}), whose IDs no other replica generates.
     */
    public static StreamId autoId(StreamId last, long nowMs, int tag) {
        if (tag < -1 || tag > MAX_TAG) {
            throw new IllegalArgumentException("tag out of range: " + tag);
        }
        long base = tag < 0 ? 0 : TAGGED | ((long) tag << TAG_SHIFT);
        long limit = tag < 0 ? TAGGED - 1 : base | COUNTER_MASK;
        if (Long.compareUnsigned(nowMs, last.ms) > 0) {
            return new StreamId(nowMs, base);
        }
        if (Long.compareUnsigned(last.seq, base) < 0) {
            return new StreamId(last.ms, base);
        }
        if (Long.compareUnsigned(last.seq, limit) < 0) {
            return new StreamId(last.ms, last.seq + 1);
        }
        return last.ms == -1L ? null : new StreamId(last.ms + 1, base);
    }

    /**
     * The ID of an XADD with {@code ms-*} after {@code last} (Redis's rule: sequence 0 for a new
     * millisecond, else the last sequence plus one), or null when it would not be greater.
     */
    public static StreamId withAutoSeq(long ms, StreamId last) {
        int c = Long.compareUnsigned(ms, last.ms);
        if (c > 0) {
            return new StreamId(ms, 0);
        }
        if (c < 0 || last.seq == -1L) {
            return null;
        }
        return new StreamId(ms, last.seq + 1);
    }

    @Override
    public String toString() {
        return Long.toUnsignedString(ms) + "-" + Long.toUnsignedString(seq);
    }
}
