package io.converge.server.command.data;

import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.Errors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random picks for SPOP, SRANDMEMBER and HRANDFIELD (usable by ZRANDMEMBER): distinct indices
 * for a positive count, and the count argument parsed with Redis's range errors.
 *
 * <p>Distinct picks use a partial Fisher-Yates shuffle when many of the elements are wanted
 * (O(n) memory, but the reply is that large anyway) and Floyd's sampling algorithm with a small
 * open-addressing set otherwise (O(k) time and memory, whatever the collection size).
 */
final class RandomIndices {
    /**
     * Most picks answered for a negative count (repetitions allowed). Redis has no limit and
     * would build a reply of any size; we refuse beyond this rather than exhaust the heap.
     */
    static final long MAX_REPEATED_PICKS = 1L << 24;

    private static final CommandException OUT_OF_LONG_RANGE = new CommandException(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    private static final CommandException TOO_MANY_PICKS = new CommandException(
            "ERR count is too large: at most " + MAX_REPEATED_PICKS + " repeated picks per call");

    private RandomIndices() {}

    /**
     * Argument {@code i} as the count of SRANDMEMBER/HRANDFIELD: an integer in
     * {@code [-LONG_MAX, LONG_MAX]} (Redis's {@code getRangeLongFromObjectOrReply}).
     */
    static long parseCount(CommandContext ctx, int i) {
        long count = ctx.argLong(i);
        if (count == Long.MIN_VALUE) {
            throw OUT_OF_LONG_RANGE;
        }
        return count;
    }

    /** Refuses a negative count whose repeated picks would make an unreasonably large reply. */
    static void checkRepeatedPicks(long picks) {
        if (picks > MAX_REPEATED_PICKS) {
            throw TOO_MANY_PICKS;
        }
    }

    /** A uniformly random index in {@code [0, n)}. */
    static int any(int n) {
        return ThreadLocalRandom.current().nextInt(n);
    }

    /** {@code k} distinct indices of {@code [0, n)} ({@code 0 <= k <= n}), in random order. */
    static int[] distinct(int n, int k) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (k * 2L >= n) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            for (int i = 0; i < k; i++) {
                int j = i + random.nextInt(n - i);
                int t = all[i];
                all[i] = all[j];
                all[j] = t;
            }
            return k == n ? all : java.util.Arrays.copyOf(all, k);
        }
        // Floyd: for j = n-k .. n-1, pick t in [0, j]; take t unless already taken, else take j.
        int[] picked = new int[k];
        int[] table = new int[Integer.highestOneBit(Math.max(4, k * 2)) * 2]; // index + 1; 0 = free
        int mask = table.length - 1;
        int size = 0;
        for (int j = n - k; j < n; j++) {
            int t = random.nextInt(j + 1);
            int chosen = insert(table, mask, t) ? t : j;
            if (chosen == j) {
                insert(table, mask, j);
            }
            picked[size++] = chosen;
        }
        // Floyd's output order is not uniform; shuffle it (the picked set already is).
        for (int i = k - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = picked[i];
            picked[i] = picked[j];
            picked[j] = t;
        }
        return picked;
    }

    /** Adds {@code value} to the open-addressing set; false if it was there already. */
    private static boolean insert(int[] table, int mask, int value) {
        int slot = (value * 0x9E3779B9) >>> 1 & mask;
        while (table[slot] != 0) {
            if (table[slot] == value + 1) {
                return false;
            }
            slot = (slot + 1) & mask;
        }
        table[slot] = value + 1;
        return true;
    }
}
