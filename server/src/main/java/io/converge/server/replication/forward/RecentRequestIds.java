package io.converge.server.replication.forward;

import java.util.Arrays;

/**
 * Remembers the request ids recently received from one peer, so a duplicated forwarded command
 * is not run twice (an INCR must count once). TCP does not duplicate messages, but a network
 * that may (the simulation, a future transport) must not double-apply non-idempotent commands.
 *
 * <p>Two generations of an open-addressing set of longs: ids go into the current one, lookups
 * check both, and the current one becomes the previous one when it is half full or older than
 * {@code generationMillis}. So an id is remembered for at least one generation: a duplicate
 * arriving later than that (or after a burst of {@code capacity / 2} newer ids) would run again;
 * duplicates of the simulated network arrive within milliseconds. Memory is fixed: two arrays of
 * {@code capacity} longs. Ids are never 0 (0 marks empty slots). Thread-safe.
 */
final class RecentRequestIds {

    private final long generationMillis;
    private long[] current;
    private long[] previous;
    private int currentSize;
    private long generationStart;

    RecentRequestIds(int capacity, long generationMillis, long nowMillis) {
        if (Integer.bitCount(capacity) != 1 || capacity < 8) {
            throw new IllegalArgumentException("capacity must be a power of two >= 8");
        }
        this.generationMillis = generationMillis;
        this.current = new long[capacity];
        this.previous = new long[capacity];
        this.generationStart = nowMillis;
    }

    /** Records {@code id}; returns {@code false} if it was seen recently (a duplicate). */
    synchronized boolean firstTime(long id, long nowMillis) {
        if (id == 0) {
            throw new IllegalArgumentException("request id 0 is reserved");
        }
        if (contains(current, id) || contains(previous, id)) {
            return false;
        }
        if (currentSize >= current.length / 2 || nowMillis - generationStart >= generationMillis) {
            long[] recycled = previous;
            previous = current;
            Arrays.fill(recycled, 0L);
            current = recycled;
            currentSize = 0;
            generationStart = nowMillis;
        }
        insert(current, id);
        currentSize++;
        return true;
    }

    private static int slot(long id, int mask) {
        long h = id * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private static boolean contains(long[] table, long id) {
        int mask = table.length - 1;
        for (int i = slot(id, mask); ; i = (i + 1) & mask) {
            long v = table[i];
            if (v == id) {
                return true;
            }
            if (v == 0) {
                return false;
            }
        }
    }

    private static void insert(long[] table, long id) {
        int mask = table.length - 1;
        int i = slot(id, mask);
        while (table[i] != 0) {
            i = (i + 1) & mask;
        }
        table[i] = id;
    }
}
