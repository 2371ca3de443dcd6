package io.converge.crdt;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * A node's hybrid logical clock (Kulkarni et al., 2014): timestamps close to physical time that
 * never go backwards and respect causality (a receive is stamped after what it received).
 * Thread-safe and lock-free on the hot path.
 *
 * <p><b>The rules on packed timestamps.</b> With {@code l} the physical part and {@code c} the
 * logical counter, the paper's send rule is {@code l' = max(l, pt); c' = (l' == l) ? c + 1 : 0}
 * and its receive rule is {@code l' = max(l, lm, pt)} with {@code c'} one of
 * {@code max(c, cm) + 1}, {@code c + 1}, {@code cm + 1} or {@code 0}, depending on which of
 * {@code l}, {@code lm} equal {@code l'}. Because a timestamp is packed as {@code l << 16 | c},
 * both rules collapse to one maximum each:
 * <pre>
 *   send:    next = max(last + 1, pack(pt, 0))
 *   receive: next = max(last + 1, remote + 1, pack(pt, 0))
 * </pre>
 * ({@code last + 1} is "same physical part, counter + 1"; {@code pack(pt, 0)} wins exactly when
 * physical time moved past every part seen.) The packed form also settles counter overflow the
 * way the brief asks: when {@code c} is already 65535, {@code + 1} carries into the physical
 * part, so the clock runs a millisecond ahead instead of wrapping.
 *
 * <p><b>Drift.</b> {@link #receive} refuses a remote timestamp whose physical part is more than
 * {@code maxDriftMs} ahead of local physical time: it counts the refusal and throws
 * {@link ClockDriftException} without adopting the time.
 *
 * <p><b>Restarts.</b> A node must never issue a timestamp at or below one it issued before it
 * crashed, even if its wall clock went backwards. {@link #setFloor} raises the clock to a
 * remembered value; {@link #reserveAhead} makes the clock call a persistence hook with a
 * high-water mark <em>before</em> it hands out any timestamp beyond the last persisted one, so
 * the value read back after a restart is always above everything issued.
 */
public final class HybridLogicalClock {

    /** Default maximum drift of remote timestamps (DESIGN: 1 s). */
    public static final long DEFAULT_MAX_DRIFT_MS = 1000;

    private final PhysicalClock physical;
    private volatile long maxDriftMs;
    private final AtomicLong last = new AtomicLong();
    private final AtomicLong driftRejections = new AtomicLong();

    /** Physical ms up to which timestamps may be issued without persisting a new mark. */
    private volatile long reservedUntilMs = Long.MAX_VALUE;
    private long reserveWindowMs;
    private LongConsumer persistHook;

    /** A clock over {@code physical} with the default maximum drift. */
    public HybridLogicalClock(PhysicalClock physical) {
        this(physical, DEFAULT_MAX_DRIFT_MS);
    }

    /** A clock over {@code physical} refusing remote timestamps more than {@code maxDriftMs} ahead. */
    public HybridLogicalClock(PhysicalClock physical, long maxDriftMs) {
        if (maxDriftMs < 0) {
            throw new IllegalArgumentException("maxDriftMs must be >= 0");
        }
        this.physical = physical;
        this.maxDriftMs = maxDriftMs;
    }

    /** A new timestamp for a local or send event, greater than every timestamp seen so far. */
    public long now() {
        long pt = physicalNow();
        long prev;
        long next;
        do {
            prev = last.get();
            next = Math.max(prev + 1, Hlc.pack(pt, 0));
        } while (!last.compareAndSet(prev, next));
        return checkReservation(next);
    }

    /**
     * Applies the receive rule for a timestamp carried by a message from another node and
     * returns the new local timestamp (greater than both the remote one and every local one).
     *
     * @throws ClockDriftException if {@code remoteHlc} is more than the maximum drift ahead of
     *     local physical time; the clock is unchanged and the refusal is counted
     */
    public long receive(long remoteHlc) {
        long pt = physicalNow();
        if (Hlc.physical(remoteHlc) - pt > maxDriftMs) {
            driftRejections.incrementAndGet();
            throw new ClockDriftException(remoteHlc, pt, maxDriftMs);
        }
        long prev;
        long next;
        do {
            prev = last.get();
            next = Math.max(Math.max(prev + 1, remoteHlc + 1), Hlc.pack(pt, 0));
        } while (!last.compareAndSet(prev, next));
        return checkReservation(next);
    }

    /** The latest timestamp issued or received, without ticking (0 before the first event). */
    public long current() {
        return last.get();
    }

    /**
     * Guarantees every later timestamp is greater than {@code floorHlc} (for a restarted node:
     * the high-water mark it persisted). Never moves the clock backwards.
     */
    public void setFloor(long floorHlc) {
        last.accumulateAndGet(floorHlc, Math::max);
    }

    /**
     * Installs a persistence hook for restarts: before the clock issues a timestamp whose
     * physical part reaches the current reservation, it calls {@code persist} (synchronously)
     * with a new high-water mark {@code windowMs} ahead, and only then returns the timestamp.
     * On restart, pass the last persisted value to {@link #setFloor}.
     */
    public synchronized void reserveAhead(long windowMs, LongConsumer persist) {
        if (windowMs <= 0) {
            throw new IllegalArgumentException("windowMs must be > 0");
        }
        this.reserveWindowMs = windowMs;
        this.persistHook = persist;
        this.reservedUntilMs = Long.MIN_VALUE; // the next timestamp persists a mark first
    }

    /** Number of remote timestamps refused for exceeding the maximum drift. */
    public long driftRejections() {
        return driftRejections.get();
    }

    /** The configured maximum drift of remote timestamps, in milliseconds. */
    public long maxDriftMs() {
        return maxDriftMs;
    }

    /** Changes the maximum drift of remote timestamps from now on (CONFIG SET max-clock-drift-ms). */
    public void maxDriftMs(long maxDriftMs) {
        if (maxDriftMs < 0) {
            throw new IllegalArgumentException("maxDriftMs must be >= 0");
        }
        this.maxDriftMs = maxDriftMs;
    }

    private long physicalNow() {
        long pt = physical.millis();
        return Math.max(0, Math.min(pt, Hlc.MAX_PHYSICAL));
    }

    private long checkReservation(long ts) {
        if (Hlc.physical(ts) >= reservedUntilMs) {
            reserve(ts);
        }
        return ts;
    }

    private synchronized void reserve(long ts) {
        long ms = Hlc.physical(ts);
        if (ms >= reservedUntilMs) {
            long until = Math.min(ms + reserveWindowMs, Hlc.MAX_PHYSICAL);
            persistHook.accept(Hlc.pack(until, 0));
            reservedUntilMs = until;
        }
    }

    @Override
    public String toString() {
        return "HLC[" + Hlc.toString(last.get()) + "]";
    }
}
