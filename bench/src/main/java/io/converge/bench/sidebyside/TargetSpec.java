package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A system under test and how to start it. The first target of a run is the baseline the others
 * are compared with. A single server is a {@link ProcessTarget}; a local cluster is a
 * {@link ClusterTarget}.
 */
public interface TargetSpec {
    /** Short name used in tables ("redis", "converge"). */
    String name();

    /** How it is started, for the report (command with placeholders). */
    String description();

    /** What it should achieve against the baseline, or null for the baseline itself. */
    PerformanceGoal goal();

    /**
     * Whether the throughput phase measures redis-benchmark test {@code test} (lower case, as in
     * {@code --tests}) on it; a target that exists for one kind of request skips the others.
     */
    default boolean runs(String test) {
        return true;
    }

    /**
     * Starts it and waits until it serves. Every process started is registered with
     * {@code cleanup} before waiting, so an interrupted run still stops it.
     */
    RunningTarget start(Path logDir, Duration readyTimeout, Cleanup cleanup) throws IOException;
}
