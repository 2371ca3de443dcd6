package io.converge.bench.sidebyside;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * What the two sides of a partition write in one round, and what every node must hold once they
 * converged. Of {@code keys} distinct keys, a tenth are set on both sides to different values (a
 * conflict the latest write wins), a tenth are counters that both sides {@code INCRBY} twice
 * (the merged value must be the exact sum), and the rest are split between the sides, each key
 * set on one side only.
 *
 * <p>Values are a few bytes long, or padded with dots to a given length (larger values make the
 * delta buffers overflow sooner, see {@code --partition-value-bytes}).
 *
 * <p>Side 0 is the majority side's writer, side 1 the isolated node's. Each side's operations
 * are numbered {@code 0 .. operations(side)-1} and sent in a shuffled (seeded) order, so every
 * kind of write is spread over the whole partition. Key names start with {@code p<round>:} so
 * rounds on the same cluster never touch each other's keys.
 */
public final class DivergentWorkload {
    /** Increments per counter key and side. */
    static final int INCREMENTS_PER_SIDE = 2;
    private static final byte[] SET = "SET".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] INCRBY = "INCRBY".getBytes(StandardCharsets.US_ASCII);

    /** The kinds of keys. */
    public enum Kind {
        /** Set on side 0 only. */
        ONLY_SIDE_0("a"),
        /** Set on side 1 only. */
        ONLY_SIDE_1("b"),
        /** Set on both sides, to different values. */
        CONFLICT("c"),
        /** Incremented on both sides. */
        COUNTER("n");

        final String tag;

        Kind(String tag) {
            this.tag = tag;
        }
    }

    private final int round;
    private final int valueBytes;
    private final int conflicts;
    private final int counters;
    private final int[] oneSided = new int[2];
    private final int[][] order = new int[2][];

    /**
     * The workload of round {@code round} with {@code keys} distinct keys (at least 10), string
     * values padded to {@code valueBytes} (0: not padded).
     */
    public DivergentWorkload(int round, int keys, int valueBytes) {
        if (keys < 10 || valueBytes < 0) {
            throw new IllegalArgumentException("a partition round needs at least 10 keys, got " + keys);
        }
        this.round = round;
        this.valueBytes = valueBytes;
        this.conflicts = keys / 10;
        this.counters = keys / 10;
        int rest = keys - conflicts - counters;
        this.oneSided[0] = rest - rest / 2;
        this.oneSided[1] = rest / 2;
        for (int side = 0; side < 2; side++) {
            int[] ops = new int[operations(side)];
            for (int i = 0; i < ops.length; i++) {
                ops[i] = i;
            }
            Random random = new Random(31L * round + side);
            for (int i = ops.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = ops[i];
                ops[i] = ops[j];
                ops[j] = t;
            }
            order[side] = ops;
        }
    }

    /** Distinct keys written in the round. */
    public int keys() {
        return oneSided[0] + oneSided[1] + conflicts + counters;
    }

    /** How many keys of {@code kind} there are. */
    public int count(Kind kind) {
        return switch (kind) {
            case ONLY_SIDE_0 -> oneSided[0];
            case ONLY_SIDE_1 -> oneSided[1];
            case CONFLICT -> conflicts;
            case COUNTER -> counters;
        };
    }

    /** Commands side {@code side} sends. */
    public int operations(int side) {
        return oneSided[side] + conflicts + counters * INCREMENTS_PER_SIDE;
    }

    /** The {@code n}-th command side {@code side} sends, as RESP arguments. */
    public byte[][] command(int side, int n) {
        int op = order[side][n];
        if (op < oneSided[side]) {
            Kind kind = side == 0 ? Kind.ONLY_SIDE_0 : Kind.ONLY_SIDE_1;
            return new byte[][] {SET, bytes(key(kind, op)), bytes(oneSidedValue(kind, op))};
        }
        op -= oneSided[side];
        if (op < conflicts) {
            return new byte[][] {SET, bytes(key(Kind.CONFLICT, op)), bytes(conflictValue(side, op))};
        }
        op -= conflicts;
        int counter = op / INCREMENTS_PER_SIDE;
        return new byte[][] {INCRBY, bytes(key(Kind.COUNTER, counter)),
                bytes(Long.toString(increment(side, counter, op % INCREMENTS_PER_SIDE)))};
    }

    /** Whether {@code reply} is the success reply of {@code side}'s {@code n}-th command. */
    public boolean isSuccess(int side, int n, Object reply) {
        return order[side][n] < oneSided[side] + conflicts ? "OK".equals(reply) : reply instanceof Long;
    }

    /** The name of key {@code index} of {@code kind}. */
    public String key(Kind kind, int index) {
        return "p" + round + ":" + kind.tag + ":" + index;
    }

    /** The value of a key set on one side only. */
    public String oneSidedValue(Kind kind, int index) {
        return padded(kind.tag + index + "-r" + round);
    }

    /** The value side {@code side} sets on conflict key {@code index}. */
    public String conflictValue(int side, int index) {
        return padded((side == 0 ? "majority-" : "isolated-") + index + "-r" + round);
    }

    private String padded(String value) {
        return value.length() >= valueBytes ? value : value + ".".repeat(valueBytes - value.length());
    }

    /** The exact merged value of counter {@code index}: the sum of both sides' increments. */
    public long counterSum(int index) {
        long sum = 0;
        for (int side = 0; side < 2; side++) {
            for (int k = 0; k < INCREMENTS_PER_SIDE; k++) {
                sum += increment(side, index, k);
            }
        }
        return sum;
    }

    /** The {@code k}-th increment side {@code side} applies to counter {@code index}: 1..97, never the same pattern twice. */
    static long increment(int side, int index, int k) {
        return 1 + Math.floorMod(index * 31 + k * 7 + side * 13, 97);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
