package io.converge.bench.sidebyside;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Runs redis-benchmark for every test and pipeline depth against every target.
 *
 * <p>Targets take turns test by test, and the one that goes first rotates, so slow drifts of the
 * shared machine (another process waking up, thermal throttling) hit every target alike rather
 * than all of one target's tests. With several rounds the whole sequence repeats, spreading each
 * measurement's samples over the run; {@link ThroughputResults} reports their median. A short warm-up against each target first lets a JVM compile
 * its hot paths before anything is measured; the same warm-up runs against redis-server.
 */
public final class ThroughputRun {
    private final RedisBenchmark benchmark;
    private final PrintWriter progress;

    /** Uses {@code benchmark} to measure; prints one line per measurement to {@code progress}. */
    public ThroughputRun(RedisBenchmark benchmark, PrintWriter progress) {
        this.benchmark = benchmark;
        this.progress = progress;
    }

    /** Measures every test at every pipeline depth of the plan on every target. */
    public ThroughputResults run(List<RunningTarget> targets, RunPlan plan) throws IOException {
        warmUp(targets, plan);
        ThroughputResults results = new ThroughputResults(targets.stream().map(RunningTarget::name).toList());
        int turn = 0;
        for (int round = 1; round <= plan.rounds(); round++) {
            if (plan.rounds() > 1) {
                progress.printf("round %d of %d%n", round, plan.rounds());
            }
            for (int pipeline : plan.pipelines()) {
                for (String test : plan.tests()) {
                    List<RunningTarget> order = new ArrayList<>(targets);
                    Collections.rotate(order, -(turn++ % targets.size()));
                    for (RunningTarget target : order) {
                        if (!target.spec().runs(test)) {
                            continue;
                        }
                        BenchmarkRun run = new BenchmarkRun(test, plan.clients(), pipeline, plan.requestsFor(pipeline),
                                plan.keyspace());
                        BenchmarkOutcome outcome = measure(target, run);
                        results.record(pipeline, target.name(), test, outcome);
                        report(target, run, outcome);
                    }
                }
            }
        }
        return results;
    }

    private void warmUp(List<RunningTarget> targets, RunPlan plan) throws IOException {
        if (plan.warmupRequests() == 0) {
            return;
        }
        progress.printf("warming up each target: %,d requests per test at pipeline %d%n",
                plan.warmupRequests(), plan.deepestPipeline());
        progress.flush();
        for (RunningTarget target : targets) {
            for (String test : plan.tests()) {
                if (!target.spec().runs(test)) {
                    continue;
                }
                // A failing warm-up is not reported: the measured run of the same test reports it.
                measure(target, new BenchmarkRun(test, plan.clients(), plan.deepestPipeline(),
                        plan.warmupRequests(), plan.keyspace()));
            }
        }
    }

    private BenchmarkOutcome measure(RunningTarget target, BenchmarkRun run) throws IOException {
        if (!target.entryPoint().isAlive()) {
            return BenchmarkOutcome.failed(target.name() + " is no longer running (see "
                    + target.entryPoint().logFile() + ")");
        }
        return benchmark.run(target.clientPort(), run);
    }

    private void report(RunningTarget target, BenchmarkRun run, BenchmarkOutcome outcome) {
        if (!outcome.isOk()) {
            progress.printf("  P%-3d %-6s %-17s FAILED %s%n", run.pipeline(), run.test(), target.name(), outcome.error());
        }
        for (BenchmarkRow row : outcome.rows()) {
            progress.printf("  P%-3d %-6s %-17s %,12.0f rps   p50 %7.3f ms   p99 %7.3f ms%n",
                    run.pipeline(), row.test(), target.name(), row.rps(), row.p50Ms(), row.p99Ms());
        }
        progress.flush();
    }
}
