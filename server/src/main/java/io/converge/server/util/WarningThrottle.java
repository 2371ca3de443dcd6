package io.converge.server.util;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Keeps a warning that comes back with every attempt (a peer with the wrong cluster secret, one
 * that keeps rejecting this node, repair sessions refused for a misconfiguration) from flooding
 * the log: per subject, the first
 * occurrence is logged, then at most one per interval, saying how many were held back meanwhile.
 * The transport's counters (INFO) still count every occurrence.
 */
public final class WarningThrottle {
    /** Most subjects remembered at once. */
    static final int MAX_SUBJECTS = 1024;

    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    /** What one subject has logged and held back. */
    private static final class Window {
        boolean logged;
        long lastLoggedNanos;
        long heldBack;
    }

    /** A throttle logging to {@code log} at most once per {@code intervalMillis} per subject. */
    public WarningThrottle(Logger log, long intervalMillis) {
        this(log, intervalMillis, System::nanoTime);
    }

    /** As above, reading time from {@code nanoClock} (tests). */
    WarningThrottle(Logger log, long intervalMillis, LongSupplier nanoClock) {
        this.log = log;
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
        this.nanoClock = nanoClock;
    }

    /**
     * Whether an occurrence of {@code subject} may be logged now: -1 if not (it is counted as held
     * back), otherwise how many occurrences were held back since the last one logged.
     */
    long admit(String subject) {
        if (windows.size() >= MAX_SUBJECTS && !windows.containsKey(subject)) {
            windows.clear(); // a bound, not a policy: subjects are peers and addresses, normally a handful
        }
        Window w = windows.computeIfAbsent(subject, s -> new Window());
        synchronized (w) {
            long now = nanoClock.getAsLong();
            if (w.logged && now - w.lastLoggedNanos < intervalNanos) {
                w.heldBack++;
                return -1;
            }
            w.logged = true;
            w.lastLoggedNanos = now;
            long held = w.heldBack;
            w.heldBack = 0;
            return held;
        }
    }

    /** Logs the warning {@code format} (SLF4J style) with {@code args}, unless {@code subject} is being throttled. */
    public void warn(String subject, String format, Object... args) {
        long held = admit(subject);
        if (held < 0) {
            return;
        }
        if (held == 0) {
            log.warn(format, args);
        } else {
            log.warn(format + " (and " + held + " more like it since the last such message)", args);
        }
    }
}
