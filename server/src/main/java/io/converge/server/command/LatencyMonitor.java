package io.converge.server.command;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Redis's latency monitor: while {@code latency-monitor-threshold} is above 0, events that took
 * at least that many milliseconds (a command: {@code command}, or {@code fast-command} for one
 * flagged fast) are recorded per event name as a time series of the last 160 seconds that had
 * one (samples of one second keep the highest), with the latest and the all-time highest, for
 * LATENCY LATEST, HISTORY, GRAPH, DOCTOR and RESET. Thread-safe (synchronized: it is only reached
 * by events already above the threshold, which are rare by definition).
 */
public final class LatencyMonitor {
    /** Samples kept per event, as Redis's LATENCY_TS_LEN. */
    static final int HISTORY = 160;

    /** One second's highest latency of an event. */
    public record Sample(long unixSeconds, long millis) {}

    /** An event's series. */
    static final class Series {
        final Sample[] samples = new Sample[HISTORY];
        int next;
        long max;
        Sample latest;

        void add(long now, long millis) {
            int last = (next + HISTORY - 1) % HISTORY;
            if (samples[last] != null && samples[last].unixSeconds() == now) {
                if (samples[last].millis() < millis) {
                    samples[last] = new Sample(now, millis);
                }
            } else {
                samples[next] = new Sample(now, millis);
                next = (next + 1) % HISTORY;
            }
            latest = samples[(next + HISTORY - 1) % HISTORY];
            max = Math.max(max, millis);
        }

        /** The samples, oldest first. */
        List<Sample> history() {
            List<Sample> out = new ArrayList<>();
            for (int i = 0; i < HISTORY; i++) {
                Sample s = samples[(next + i) % HISTORY];
                if (s != null) {
                    out.add(s);
                }
            }
            return out;
        }
    }

    private final Map<String, Series> events = new LinkedHashMap<>();

    /** Records that {@code event} took {@code millis} now (the caller checked the threshold). */
    public synchronized void record(String event, long millis) {
        events.computeIfAbsent(event, e -> new Series()).add(System.currentTimeMillis() / 1000, millis);
    }

    /** The events with samples, in the order they first happened. */
    synchronized Map<String, Series> events() {
        return new LinkedHashMap<>(events);
    }

    /** The samples of {@code event}, oldest first (empty when none). */
    synchronized List<Sample> history(String event) {
        Series s = events.get(event);
        return s == null ? List.of() : s.history();
    }

    /** Forgets {@code names} (every event when empty); returns how many had samples. */
    synchronized int reset(List<String> names) {
        if (names.isEmpty()) {
            int n = events.size();
            events.clear();
            return n;
        }
        int n = 0;
        for (String name : names) {
            if (events.remove(name) != null) {
                n++;
            }
        }
        return n;
    }
}
