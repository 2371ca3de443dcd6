package io.converge.server.chaos;

import io.converge.server.chaos.History.Kind;
import io.converge.server.testing.ProcessCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One chaos run end to end: starts three node processes (replication factor 3, default
 * configuration plus {@code enable-debug-command yes} and a 2 s {@code repair-interval-ms}), runs the
 * {@link Workload} while the {@link Nemesis} injects faults, stops the clients, heals everything,
 * waits for convergence, checks with the {@link Checker} and writes a report with the figures
 * (also to {@code target/chaos/<scenario>/report.txt}, next to copies of the node logs).
 */
final class ChaosRun {

    /** Node settings: the defaults, except what the harness needs. */
    static final List<String> SETTINGS = List.of("enable-debug-command=yes", "repair-interval-ms=2000");

    private final ChaosOptions options;
    private volatile long t0 = System.nanoTime();

    /** A run of {@code options}. */
    ChaosRun(ChaosOptions options) {
        this.options = options;
    }

    /** The outcome of a run: the checker's figures, the time to converge (-1: not within the bound), the report. */
    record Verdict(Checker.Result result, long convergeMillis, String report) {
        /** Whether the run found nothing wrong and converged in time. */
        boolean ok() {
            return result.ok() && convergeMillis >= 0;
        }
    }

    /** Runs the scenario and returns its outcome (never throws for what it finds; only for harness failures). */
    Verdict run() throws Exception {
        System.out.println("chaos: " + options.describe());
        try (ProcessCluster cluster = ProcessCluster.create("chaos-" + options.name(), 3, 3, "384m", SETTINGS)) {
            cluster.startAll();
            t0 = System.nanoTime();
            History history = new History();
            Workload workload = new Workload(cluster, history, options, this::nowMs);
            Nemesis nemesis = new Nemesis(cluster, options, this::nowMs);
            Thread progress = progressPrinter(history);
            workload.start();
            Thread.sleep(2000);
            try {
                nemesis.run();
            } finally {
                workload.stop();
                progress.interrupt();
            }
            System.out.printf(Locale.ROOT, "chaos: t=%6.1fs  faults over, clients stopped after %d operations%n",
                    nowMs() / 1000.0, history.size());
            nemesis.healEverything();
            Checker checker = new Checker(cluster);
            long convergeMillis = checker.awaitConvergence(options.convergeTimeout());
            List<String> notConverged = convergeMillis < 0 ? checker.convergenceState() : List.of();
            Checker.Result result = checker.check(history.ops());
            String report = report(result, convergeMillis, notConverged, nemesis.events(), cluster);
            save(report, cluster);
            System.out.println(report);
            return new Verdict(result, convergeMillis, report);
        }
    }

    private long nowMs() {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private Thread progressPrinter(History history) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Thread.sleep(10_000);
                    List<History.Op> ops = history.ops();
                    long ok = ops.stream().filter(o -> o.outcome() == History.Outcome.OK).count();
                    long failed = ops.stream().filter(o -> o.outcome() == History.Outcome.FAILED).count();
                    System.out.printf(Locale.ROOT, "chaos: t=%6.1fs  %d operations: %d acknowledged, %d failed, %d unknown%n",
                            nowMs() / 1000.0, ops.size(), ok, failed, ops.size() - ok - failed);
                }
            } catch (InterruptedException e) {
                // done
            }
        }, "chaos-progress");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private String report(Checker.Result r, long convergeMillis, List<String> notConverged, List<String> events,
                          ProcessCluster cluster) {
        StringBuilder b = new StringBuilder();
        b.append("chaos ").append(options.name()).append(": ").append(r.ok() && convergeMillis >= 0 ? "PASS" : "FAIL")
                .append('\n');
        b.append("  ").append(options.describe()).append('\n');
        b.append("  operations ").append(r.ops).append(": acknowledged ").append(r.acked).append(", failed ")
                .append(r.failed).append(", unknown ").append(r.unknown).append('\n');
        for (Map.Entry<Kind, Map<History.Outcome, Integer>> e : r.counts.entrySet()) {
            b.append("    ").append(String.format(Locale.ROOT, "%-6s", e.getKey())).append(' ').append(e.getValue())
                    .append('\n');
        }
        b.append("  acknowledged DELs that found nothing to delete (reply 0): ").append(r.deletesThatFoundNothing)
                .append('\n');
        b.append("  lost writes: ").append(r.lostWrites).append(" (").append(r.lostWrites - r.lostMembers)
                .append(" SET keys missing or wrong, ").append(r.lostMembers).append(" SADD members or RPUSH elements missing)\n");
        b.append("  resurrected deletes: ").append(r.resurrectedDeletes).append('\n');
        b.append("  wrong counters: ").append(r.wrongCounters).append('\n');
        b.append("  values never written: ").append(r.unexpected).append('\n');
        b.append("  diverged keys: ").append(r.divergedKeys).append("; whole-data digests ")
                .append(r.wholeDigestsEqual ? "equal " : "DIFFER ").append(r.wholeDigests).append(" (compared ")
                .append(r.digestAttempts).append(r.digestAttempts == 1 ? " time)\n" : " times: GC sweeps in between)\n");
        b.append("  time to converge after the last heal: ")
                .append(convergeMillis >= 0 ? convergeMillis + " ms"
                        : "did not converge within " + options.convergeTimeout().toSeconds() + " s")
                .append('\n');
        for (String line : r.counterLines) {
            b.append("  ").append(line).append('\n');
        }
        section(b, "lost writes (first 10)", r.lostExamples);
        section(b, "resurrected deletes (first 10)", r.resurrectedExamples);
        section(b, "wrong counters", r.counterExamples);
        section(b, "diverged keys (first 10)", r.divergedExamples);
        section(b, "values never written (first 10)", r.unexpectedExamples);
        section(b, "not converged", notConverged);
        section(b, "faults", events);
        List<String> gc = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            try {
                gc.add("node " + id + ": " + String.join(" ", cluster.infoLines(id, "replication", "tombstone_")));
            } catch (RuntimeException e) {
                gc.add("node " + id + ": " + e);
            }
        }
        section(b, "tombstone GC", gc);
        List<String> logs = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            logs.add(logSummary(cluster, id));
        }
        section(b, "node logs (warnings and errors)", logs);
        return b.toString();
    }

    private static void section(StringBuilder b, String title, List<String> lines) {
        if (lines.isEmpty()) {
            return;
        }
        b.append("  ").append(title).append(":\n");
        for (String l : lines) {
            b.append("    ").append(l).append('\n');
        }
    }

    /** Counts of WARN and ERROR lines in a node's log and the last few ERROR lines. */
    private static String logSummary(ProcessCluster cluster, int id) {
        try {
            List<String> lines = Files.readAllLines(cluster.logFile(id), StandardCharsets.UTF_8);
            long warn = lines.stream().filter(l -> l.contains(" WARN ")).count();
            List<String> errors = lines.stream().filter(l -> l.contains(" ERROR ") || l.contains("Exception")).toList();
            StringBuilder s = new StringBuilder("node " + id + ": " + lines.size() + " lines, " + warn + " WARN, "
                    + errors.size() + " ERROR/exception lines");
            for (String e : errors.subList(Math.max(0, errors.size() - 3), errors.size())) {
                s.append("\n      ").append(e.length() > 300 ? e.substring(0, 300) + "..." : e);
            }
            return s.toString();
        } catch (IOException e) {
            return "node " + id + ": no log (" + e + ")";
        }
    }

    /** Writes the report and copies the node logs to {@code target/chaos/<scenario>/}. */
    private void save(String report, ProcessCluster cluster) {
        try {
            Path out = Path.of("target", "chaos", options.name());
            Files.createDirectories(out);
            Files.writeString(out.resolve("report.txt"), report);
            for (int id = 1; id <= 3; id++) {
                if (Files.exists(cluster.logFile(id))) {
                    Files.copy(cluster.logFile(id), out.resolve("node-" + id + ".log"), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            System.out.println("chaos: report and node logs in " + out.toAbsolutePath());
        } catch (IOException e) {
            System.out.println("chaos: could not save the report: " + e);
        }
    }
}
