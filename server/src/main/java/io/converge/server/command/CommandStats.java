package io.converge.server.command;

import java.util.concurrent.atomic.LongAdder;

/**
 * Per-command counters reported by {@code INFO commandstats} and the admin endpoint's metrics,
 * with a latency histogram of power-of-two microsecond buckets (bucket {@code i} counts calls
 * that took less than 2^i microseconds and at least half that; the last one, everything
 * longer); safe to update from any thread.
 */
public final class CommandStats {
    /** Latency buckets: below 1 us, below 2 us, ... below 2^(BUCKETS-2) us (~4.2 s), and the rest. */
    public static final int BUCKETS = 24;
    private final LongAdder calls = new LongAdder();
    private final LongAdder[] latency = new LongAdder[BUCKETS];
    private final LongAdder nanos = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder failed = new LongAdder();

    /** Counters at zero. */
    public CommandStats() {
        for (int i = 0; i < BUCKETS; i++) {
            latency[i] = new LongAdder();
        }
    }

    /** Records one execution that took {@code elapsedNanos} and whether it replied with an error. */
    public void recordCall(long elapsedNanos, boolean failedCall) {
        calls.increment();
        nanos.add(elapsedNanos);
        long micros = elapsedNanos / 1000;
        // 64 - leading zeros = the number of bits of micros: 0 for 0 us, 1 for 1 us, 2 for 2-3 us...
        latency[Math.min(BUCKETS - 1, 64 - Long.numberOfLeadingZeros(micros))].increment();
        if (failedCall) {
            failed.increment();
        }
    }

    /** Records a call refused before execution (arity, authentication, ...). */
    public void recordRejected() {
        rejected.increment();
    }

    /** Executions so far. */
    public long calls() {
        return calls.sum();
    }

    /** Total execution time in microseconds. */
    public long micros() {
        return nanos.sum() / 1000;
    }

    /**
     * The calls per latency bucket (not cumulative): index {@code i} counts calls shorter than
     * {@link #bucketUpperMicros}(i) and not shorter than the bucket before.
     */
    public long[] latencyBuckets() {
        long[] out = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            out[i] = latency[i].sum();
        }
        return out;
    }

    /** The exclusive upper bound of bucket {@code i} in microseconds (infinite for the last). */
    public static double bucketUpperMicros(int i) {
        return i == BUCKETS - 1 ? Double.POSITIVE_INFINITY : Math.pow(2, i);
    }

    /** Calls refused before execution. */
    public long rejectedCalls() {
        return rejected.sum();
    }

    /** Executions that replied with an error. */
    public long failedCalls() {
        return failed.sum();
    }

    /** Whether anything was recorded (INFO commandstats lists only those). */
    public boolean isUsed() {
        return calls.sum() != 0 || rejected.sum() != 0 || failed.sum() != 0;
    }

    /** Clears the counters (CONFIG RESETSTAT). */
    public void reset() {
        calls.reset();
        nanos.reset();
        rejected.reset();
        failed.reset();
        for (LongAdder bucket : latency) {
            bucket.reset();
        }
    }
}
