package io.converge.server.command;

import java.util.concurrent.atomic.LongAdder;

/** Per-command counters reported by {@code INFO commandstats}; safe to update from any thread. */
public final class CommandStats {
    private final LongAdder calls = new LongAdder();
    private final LongAdder nanos = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder failed = new LongAdder();

    /** Records one execution that took {@code elapsedNanos} and whether it replied with an error. */
    public void recordCall(long elapsedNanos, boolean failedCall) {
        calls.increment();
        nanos.add(elapsedNanos);
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
    }
}
