package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A system under test and how to start it. The first target of a run is the baseline the others
 * are compared with. A single server is a {@link ProcessTarget}; a local cluster would be another
 * implementation that starts several processes on several ports and returns them all in one
 * {@link RunningTarget}.
 */
public interface TargetSpec {
    /** Short name used in tables ("redis", "converge"). */
    String name();

    /** How it is started, for the report (command with placeholders). */
    String description();

    /** What it should achieve against the baseline, or null for the baseline itself. */
    PerformanceGoal goal();

    /**
     * Starts it and waits until it serves. Every process started is registered with
     * {@code cleanup} before waiting, so an interrupted run still stops it.
     */
    RunningTarget start(Path logDir, Duration readyTimeout, Cleanup cleanup) throws IOException;
}
