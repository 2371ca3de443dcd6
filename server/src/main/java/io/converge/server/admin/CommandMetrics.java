package io.converge.server.admin;

import io.converge.server.command.CommandSpec;
import io.converge.server.command.CommandStats;
import io.converge.server.command.CommandTable;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * Per-command metrics, read at scrape time from the counters the dispatcher keeps anyway
 * ({@link CommandStats}, also behind INFO commandstats), so serving them costs the request path
 * nothing: calls, failed calls (error replies), rejected calls (refused before running) and the
 * latency histogram, labelled {@code cmd} with Redis's name ({@code client|list} for a
 * subcommand). Commands never called are left out, as INFO commandstats leaves them out.
 */
final class CommandMetrics implements MultiCollector {
    private static final double[] BOUNDS_SECONDS = new double[CommandStats.BUCKETS];

    static {
        for (int i = 0; i < CommandStats.BUCKETS; i++) {
            BOUNDS_SECONDS[i] = CommandStats.bucketUpperMicros(i) / 1e6;
        }
    }

    private final CommandTable commands;

    /** Metrics of the commands in {@code commands} (and their subcommands). */
    CommandMetrics(CommandTable commands) {
        this.commands = commands;
    }

    @Override
    public MetricSnapshots collect() {
        CounterSnapshot.Builder calls = CounterSnapshot.builder().name("converge_commands")
                .help("Commands run, per command");
        CounterSnapshot.Builder failed = CounterSnapshot.builder().name("converge_command_errors")
                .help("Commands that replied with an error, per command");
        CounterSnapshot.Builder rejected = CounterSnapshot.builder().name("converge_command_rejections")
                .help("Commands refused before running (arity, authentication, BUSY...), per command");
        HistogramSnapshot.Builder latency = HistogramSnapshot.builder().name("converge_command_duration_seconds")
                .help("Time spent running commands on this node, per command");
        for (CommandSpec cmd : commands.allWithSubcommands()) {
            CommandStats st = cmd.stats();
            if (!st.isUsed()) {
                continue;
            }
            Labels labels = Labels.of("cmd", cmd.fullName());
            calls.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels).value(st.calls()).build());
            failed.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels)
                    .value(st.failedCalls()).build());
            rejected.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels)
                    .value(st.rejectedCalls()).build());
            latency.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder().labels(labels)
                    .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS_SECONDS, st.latencyBuckets()))
                    .sum(st.micros() / 1e6).build());
        }
        return MetricSnapshots.of(calls.build(), failed.build(), rejected.build(), latency.build());
    }
}
