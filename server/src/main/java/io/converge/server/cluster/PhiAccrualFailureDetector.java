package io.converge.server.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The phi-accrual failure detector (Hayashibara, Défago, Yared, Katayama, 2004): instead of a
 * yes/no timeout, each peer gets a suspicion level
 * {@code phi = -log10(P(a heartbeat arrives later than now))}, estimated from the recent
 * distribution of its heartbeat inter-arrival times. A peer is considered down while
 * {@code phi >= threshold}: phi 8 means roughly a 1e-8 chance that the silence is normal.
 *
 * <p>The inter-arrival times are modelled as a normal distribution with the window's mean and
 * standard deviation (floored at {@code minStdDevMillis} so a perfectly regular peer is not
 * declared dead after a few milliseconds of jitter), its mean extended by
 * {@code acceptablePauseMillis} (GC pauses). The normal tail uses the logistic approximation
 * {@code P(X > t) ~ 1 / (1 + exp(y (1.5976 + 0.070566 y^2)))}, {@code y = (t - mean) / sd}
 * (Bowling et al., 2009), computed in log space so phi stays finite and accurate for long
 * silences. Before a peer has a history, the window is seeded with two samples of
 * {@code expectedIntervalMillis}.
 *
 * <p>Time comes from the injected {@link Clock}. Thread-safe (heartbeats arrive on I/O threads).
 */
public final class PhiAccrualFailureDetector {

    /**
     * Tuning of the detector.
     *
     * @param threshold              phi at or above which a peer is down (Cassandra uses 8)
     * @param maxSamples             size of the inter-arrival window
     * @param minStdDevMillis        floor for the standard deviation
     * @param acceptablePauseMillis  extra silence tolerated on top of the mean
     * @param expectedIntervalMillis first guess of the heartbeat interval, before samples exist
     */
    public record Settings(double threshold, int maxSamples, long minStdDevMillis, long acceptablePauseMillis,
                           long expectedIntervalMillis) {

        /** Validates the settings. */
        public Settings {
            if (!(threshold > 0) || maxSamples < 2 || minStdDevMillis < 1 || acceptablePauseMillis < 0
                    || expectedIntervalMillis < 1) {
                throw new IllegalArgumentException("invalid failure detector settings: threshold > 0, "
                        + "maxSamples >= 2, minStdDevMillis >= 1, acceptablePauseMillis >= 0, "
                        + "expectedIntervalMillis >= 1");
            }
        }

        /** Defaults for heartbeats every {@code heartbeatIntervalMillis}: threshold 8, 200 samples. */
        public static Settings defaults(long heartbeatIntervalMillis) {
            return new Settings(8.0, 200, Math.max(1, heartbeatIntervalMillis / 10), heartbeatIntervalMillis,
                    heartbeatIntervalMillis);
        }
    }

    private final Clock clock;
    private final Settings settings;
    private final Map<Integer, History> histories = new TreeMap<>();

    /** A detector reading time from {@code clock}. */
    public PhiAccrualFailureDetector(Clock clock, Settings settings) {
        this.clock = clock;
        this.settings = settings;
    }

    /** The settings in use. */
    public Settings settings() {
        return settings;
    }

    /** Records a heartbeat (or any message proving life) from {@code nodeId} at the clock's now. */
    public synchronized void heartbeat(int nodeId) {
        long now = clock.nowMillis();
        History h = histories.get(nodeId);
        if (h == null) {
            h = new History(settings.maxSamples());
            h.add(settings.expectedIntervalMillis());
            h.add(settings.expectedIntervalMillis());
            h.lastHeard = now;
            histories.put(nodeId, h);
            return;
        }
        long interval = now - h.lastHeard;
        if (interval > 0) {
            h.add(interval);
        }
        h.lastHeard = Math.max(h.lastHeard, now);
    }

    /** The suspicion level of {@code nodeId} now; {@code +Infinity} if never heard. */
    public synchronized double phi(int nodeId) {
        History h = histories.get(nodeId);
        return h == null ? Double.POSITIVE_INFINITY : phi(h, clock.nowMillis());
    }

    /** Whether {@code nodeId} has been heard and is below the threshold now. */
    public synchronized boolean isAvailable(int nodeId) {
        return phi(nodeId) < settings.threshold();
    }

    /** Forgets {@code nodeId} (it left the cluster, or restarted with a new history). */
    public synchronized void remove(int nodeId) {
        histories.remove(nodeId);
    }

    /** One row per peer ever heard, ascending by node id. */
    public synchronized List<NodeHealth> view() {
        long now = clock.nowMillis();
        List<NodeHealth> rows = new ArrayList<>(histories.size());
        for (Map.Entry<Integer, History> e : histories.entrySet()) {
            History h = e.getValue();
            double phi = phi(h, now);
            rows.add(new NodeHealth(e.getKey(), phi, phi < settings.threshold(), h.lastHeard, now - h.lastHeard,
                    h.mean(), h.count));
        }
        return rows;
    }

    private double phi(History h, long now) {
        long elapsed = Math.max(0, now - h.lastHeard);
        double mean = h.mean() + settings.acceptablePauseMillis();
        double sd = Math.max(h.stdDev(), settings.minStdDevMillis());
        return phi(elapsed, mean, sd);
    }

    /** {@code -log10(P(X > elapsed))} for X ~ Normal(mean, sd), via the logistic approximation. */
    static double phi(double elapsed, double mean, double sd) {
        double y = (elapsed - mean) / sd;
        double z = y * (1.5976 + 0.070566 * y * y);
        // P(X > t) = 1 / (1 + e^z)  =>  phi = log10(1 + e^z) = softplus(z) / ln 10, computed stably.
        double softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
        return softplus / Math.log(10);
    }

    /** A bounded window of inter-arrival times with running sums. */
    private static final class History {
        private final long[] samples;
        private int next;
        private int count;
        private double sum;
        private double sumSquares;
        long lastHeard;

        History(int capacity) {
            this.samples = new long[capacity];
        }

        void add(long interval) {
            if (count == samples.length) {
                long old = samples[next];
                sum -= old;
                sumSquares -= (double) old * old;
            } else {
                count++;
            }
            samples[next] = interval;
            next = (next + 1) % samples.length;
            sum += interval;
            sumSquares += (double) interval * interval;
        }

        double mean() {
            return count == 0 ? 0 : sum / count;
        }

        double stdDev() {
            if (count == 0) {
                return 0;
            }
            double m = mean();
            return Math.sqrt(Math.max(0, sumSquares / count - m * m));
        }
    }
}
