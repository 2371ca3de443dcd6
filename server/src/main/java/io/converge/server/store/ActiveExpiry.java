package io.converge.server.store;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's background cycle, {@code hz} times per second on its own daemon thread: active
 * expiry, then queued tombstone GC.
 *
 * <p><b>Active expiry</b> follows Redis's {@code activeExpireCycle}: for each stripe in turn
 * (resuming where the previous cycle stopped), sample {@value #SAMPLE} random keys of its TTL
 * index, purge those whose TTL passed, and sample again while more than
 * {@value #STALE_PERCENT}% of the sample had expired. Every cycle stops after a time budget
 * (a quarter of the period, as Redis's slow cycle), so a flood of expiring keys is worked off
 * over several cycles without starving clients. Each stripe is locked only while it is sampled.
 */
final class ActiveExpiry {
    private static final Logger log = LoggerFactory.getLogger(ActiveExpiry.class);

    /** Keys sampled per round in a stripe (Redis: ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP). */
    static final int SAMPLE = 20;
    /** Sample again while more than this share of a sample had expired. */
    static final int STALE_PERCENT = 25;
    /** Tombstone GCs per stripe per cycle. */
    static final int GC_PER_STRIPE = 64;

    private final EmbeddedEngine engine;
    private final IntSupplier hz;
    private final BooleanSupplier enabled;
    private ScheduledExecutorService executor;
    private int nextStripe;
    private volatile long cycles;

    ActiveExpiry(EmbeddedEngine engine, IntSupplier hz, BooleanSupplier enabled) {
        this.engine = engine;
        this.hz = hz;
        this.enabled = enabled;
    }

    /** Starts the periodic cycle. */
    synchronized void start() {
        if (executor != null) {
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "converge-expire");
            t.setDaemon(true);
            return t;
        });
        schedule();
    }

    /** Stops the periodic cycle (waits briefly for a running one). */
    synchronized void stop() {
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor = null;
    }

    /** Cycles run so far. */
    long cycles() {
        return cycles;
    }

    private void schedule() {
        ScheduledExecutorService ex = executor;
        if (ex == null || ex.isShutdown()) {
            return;
        }
        long periodMicros = 1_000_000L / Math.max(1, hz.getAsInt());
        try {
            ex.schedule(this::tick, periodMicros, TimeUnit.MICROSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping
        }
    }

    private void tick() {
        try {
            long periodNanos = 1_000_000_000L / Math.max(1, hz.getAsInt());
            cycle(System.nanoTime() + periodNanos / 4);
        } catch (RuntimeException e) {
            log.warn("background cycle failed", e);
        } finally {
            synchronized (this) {
                schedule();
            }
        }
    }

    /**
     * Runs one cycle until {@code deadlineNanos} ({@link System#nanoTime()} based; Long.MAX_VALUE
     * for no limit); returns the number of keys expired.
     */
    int cycle(long deadlineNanos) {
        cycles++;
        Stripe[] stripes = engine.stripes();
        int expired = 0;
        boolean active = enabled.getAsBoolean();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int n = 0; n < stripes.length; n++) {
            int index = nextStripe;
            nextStripe = (nextStripe + 1) % stripes.length;
            Stripe s = stripes[index];
            if ((!active || s.ttlCount() == 0) && s.gcQueued() == 0) {
                continue; // racy hint; the next cycle sees a change
            }
            s.lock.lock();
            try {
                if (active) {
                    expired += expireStripe(s, random, deadlineNanos);
                }
                for (int i = 0; i < GC_PER_STRIPE; i++) {
                    KeyEntry e = s.pollGc();
                    if (e == null) {
                        break;
                    }
                    engine.collectGarbage(s, e);
                }
            } finally {
                s.lock.unlock();
            }
            if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos > 0) {
                break;
            }
        }
        return expired;
    }

    /** Samples one stripe's TTL index until a sample is mostly unexpired (lock held). */
    private int expireStripe(Stripe s, ThreadLocalRandom random, long deadlineNanos) {
        int expired = 0;
        while (s.ttlCount() > 0) {
            long now = engine.nowMs();
            int sample = Math.min(SAMPLE, s.ttlCount());
            int hits = 0;
            for (int i = 0; i < sample && s.ttlCount() > 0; i++) {
                KeyEntry e = s.ttlAt(random.nextInt(s.ttlCount()));
                if (e.state.isExpired(now) && engine.expiryCollectable(e)) {
                    engine.purgeExpired(s, e, now);
                    hits++;
                }
            }
            expired += hits;
            if (hits * 100 <= sample * STALE_PERCENT) {
                break;
            }
            if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos > 0) {
                break;
            }
        }
        return expired;
    }
}
