package io.converge.server.replication.gc;

import io.converge.server.replication.core.ReplicaStore;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * Drops delete records once the {@link GcHorizon} has passed them: after the stable stamp moves,
 * re-runs tombstone GC over the engine's partitions, a few per timer tick and each at most once
 * per {@code intervalMillis}, so the cost is spread out.
 *
 * <p>Why it is needed: the engine collects a key's delete records when a write settles it, judged
 * by the horizon at that moment; in a cluster the horizon passes a delete a round trip or more
 * later, so those collections find nothing to drop yet.
 *
 * <p>Threads: {@link #sweep} runs on the timer thread only; the read-outs are safe from any thread.
 */
public final class TombstoneSweeper {

    private final ReplicaStore store;
    private final GcHorizon horizon;
    private final long intervalMillis;
    private final int partitionsPerTick;
    private final long[] sweptStable;
    private final long[] sweptAtMillis;
    private int cursor;
    private final LongAdder sweeps = new LongAdder();
    private final LongAdder collected = new LongAdder();

    /** Sweeps {@code store}'s partitions with {@code horizon}'s stable stamp. */
    public TombstoneSweeper(ReplicaStore store, GcHorizon horizon, long intervalMillis, int partitionsPerTick) {
        this.store = store;
        this.horizon = horizon;
        this.intervalMillis = intervalMillis;
        this.partitionsPerTick = partitionsPerTick;
        this.sweptStable = new long[store.partitions()];
        this.sweptAtMillis = new long[store.partitions()];
        Arrays.fill(sweptAtMillis, Long.MIN_VALUE / 2);
    }

    /** Sweeps up to the per-tick budget of partitions not yet swept with the current stable stamp. */
    public void sweep(long nowMillis) {
        long stable = horizon.stable();
        if (stable == 0) {
            return;
        }
        int partitions = sweptStable.length;
        int budget = partitionsPerTick;
        for (int k = 0; k < partitions && budget > 0; k++) {
            int part = cursor;
            cursor = (cursor + 1) % partitions;
            if (sweptStable[part] < stable && nowMillis - sweptAtMillis[part] >= intervalMillis) {
                collected.add(store.collectTombstones(part));
                synchronized (this) {
                    sweptStable[part] = stable;
                }
                sweptAtMillis[part] = nowMillis;
                sweeps.increment();
                budget--;
            }
        }
    }

    /** The lowest stable stamp every partition has been swept with (0 before the first full sweep). */
    public synchronized long sweptThrough() {
        long min = Long.MAX_VALUE;
        for (long s : sweptStable) {
            min = Math.min(min, s);
        }
        return min == Long.MAX_VALUE ? 0 : min;
    }

    /** Partition sweeps done. */
    public long sweeps() {
        return sweeps.sum();
    }

    /** Entries removed entirely by sweeps. */
    public long collected() {
        return collected.sum();
    }
}
