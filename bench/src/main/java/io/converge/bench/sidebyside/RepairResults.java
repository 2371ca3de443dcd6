package io.converge.bench.sidebyside;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The repair phase's rounds ({@link RepairRun}) and the markdown section of the report: one table
 * per measurement with the median (and the worst) over the rounds, each with its verdict.
 *
 * @param plan       what was measured
 * @param nodes      cluster size (the last node was the replica that fell behind)
 * @param cluster    how the nodes were started (command and configuration), for the report
 * @param loadBefore 1-minute load average when the phase began
 * @param loadAfter  1-minute load average when it ended
 * @param missed     rounds of "a replica missed every key", in order
 * @param diverged   rounds of "divergent keys repaired by a pass", in order
 * @param replaced   rounds of "a replaced node catches up", in order
 */
public record RepairResults(RepairPlan plan, int nodes, String cluster, String loadBefore, String loadAfter,
                           List<CatchUpRound> missed, List<DivergenceRound> diverged, List<CatchUpRound> replaced) {
    /** Copies the rounds. */
    public RepairResults {
        missed = List.copyOf(missed);
        diverged = List.copyOf(diverged);
        replaced = List.copyOf(replaced);
    }

    /** What went wrong, one line per failed round (empty when every round completed and verified). */
    public List<String> failures() {
        List<String> out = new ArrayList<>();
        missed.stream().filter(r -> !r.ok()).forEach(r -> out.add("missed writes, round " + r.round() + ": " + r.error()));
        diverged.stream().filter(r -> !r.ok())
                .forEach(r -> out.add("divergent keys, round " + r.round() + ": " + r.error()));
        replaced.stream().filter(r -> !r.ok())
                .forEach(r -> out.add("replaced node, round " + r.round() + ": " + r.error()));
        return out;
    }

    /** The report's section. */
    public String render() {
        StringBuilder out = new StringBuilder();
        out.append("\n### Repair and catch-up\n\n");
        out.append(String.format(Locale.ROOT, "How: %d node processes on loopback (one JVM each, `server --cluster "
                        + "FILE --node-id N`, replication factor %d, the default configuration: append-only log on, "
                        + "`appendfsync everysec`, `repair-max-bytes-per-sec 128mb`), %,d keys `key:0000000`.. with "
                        + "values of %,d bytes (%s of keys and values), written through node 1 by one pipelining "
                        + "connection at `CONSISTENCY WRITE ONE`. Node %d is the replica that falls behind. The clock "
                        + "stops at the first look (every ~%d ms: INFO replication and DBSIZE of every node, then "
                        + "`CONVERGE DIGEST` when those agree) showing every node connected, no delta pending, no "
                        + "hash-tree repair owed and equal digests of all they hold. Each round ends by reading "
                        + "keys on the replica (MGET at ONE) and comparing them with what was written.%n%n",
                nodes, Math.min(3, nodes), plan.keys(), plan.valueBytes(), megabytes(plan.payloadBytes()), nodes,
                RepairRun.POLL_PAUSE_MILLIS));
        out.append("- Nodes: `").append(cluster).append("`\n");
        out.append("- Load average (1 min): ").append(loadBefore).append(" before this phase, ").append(loadAfter)
                .append(" after it\n");
        if (!missed.isEmpty()) {
            renderMissed(out);
        }
        if (!diverged.isEmpty()) {
            renderDiverged(out);
        }
        if (!replaced.isEmpty()) {
            renderReplaced(out);
        }
        return out.toString();
    }

    private void renderMissed(StringBuilder out) {
        out.append(String.format(Locale.ROOT, "%n#### A replica that missed %,d keys%n%n", plan.keys()));
        out.append(String.format(Locale.ROOT, "Node %d is cut off from the others (`CONVERGE PARTITION` on every node) "
                + "while every key is written with new values; once the other nodes agree, `CONVERGE HEAL` on every "
                + "node; times from just before the heal. What the replica missed comes back through the delta "
                + "buffers (64 MiB per peer) and, for the deltas they dropped when they overflowed, hash-tree repair. "
                + "CPU = user and system time of the node processes meanwhile, summed (on a shared machine a "
                + "steadier measure of the work than the time). Target (issue 8): at least %.0f MB/s (payload / "
                + "time to complete).%n%n", nodes,
                RepairPlan.CATCH_UP_TARGET_MB_PER_SEC));
        MarkdownTable table = new MarkdownTable(
                List.of("Round", "Payload", "Deltas buffered at heal", "Repairs owed at heal", "Reconnected",
                        "Complete", "MB/s", "Repair bytes received", "CPU, all nodes", "Verification"),
                aligns(10));
        for (CatchUpRound r : missed) {
            table.addRow(List.of(Integer.toString(r.round()), megabytes(r.payloadBytes()), count(r.deltasAtStart()),
                    count(r.repairsOwed()), ms(r.connectedMillis()), ms(r.completeMillis()), rate(r),
                    megabytes(r.repairBytes()), cpu(r), verification(r.verification(), r.error())));
        }
        addSummary(table, missed, 3, false);
        out.append(table.render());
        out.append('\n').append(rateVerdict(missed)).append('\n');
    }

    private void renderDiverged(StringBuilder out) {
        out.append(String.format(Locale.ROOT, "%n#### %,d divergent keys among %,d%n%n", plan.divergentKeys(),
                plan.keys()));
        out.append(String.format(Locale.ROOT, "`CONVERGE DIVERGE key value` on node 1 for %,d keys spread over the "
                + "keyspace (set there only, as if their deltas were lost: the digests differ), then `CONVERGE REPAIR` "
                + "on node 1 (a full pass with every peer); times from just before `CONVERGE REPAIR` until every "
                + "node's digest is equal. Target (issue 8): found and repaired within %,d ms of the pass starting.%n%n",
                plan.divergentKeys(), RepairPlan.REPAIR_TARGET_MILLIS));
        MarkdownTable table = new MarkdownTable(List.of("Round", "Divergent keys", "Repaired", "Verification"),
                List.of(MarkdownTable.Align.LEFT, MarkdownTable.Align.RIGHT, MarkdownTable.Align.RIGHT,
                        MarkdownTable.Align.LEFT));
        for (DivergenceRound r : diverged) {
            table.addRow(List.of(Integer.toString(r.round()), count(r.divergent()), ms(r.repairMillis()),
                    verification(r.verification(), r.error())));
        }
        if (diverged.size() > 1) {
            table.addRow(List.of("median", "", ms(RoundFigures.median(diverged.stream()
                    .mapToLong(DivergenceRound::repairMillis))), ""));
            table.addRow(List.of("max", "", ms(RoundFigures.max(diverged.stream()
                    .mapToLong(DivergenceRound::repairMillis))), ""));
        }
        out.append(table.render());
        long within = diverged.stream().filter(r -> r.ok() && r.repairMillis() < RepairPlan.REPAIR_TARGET_MILLIS)
                .count();
        out.append('\n').append(String.format(Locale.ROOT, "%s: repaired %s after `CONVERGE REPAIR` (median; max %s); "
                        + "within %,d ms in %d of %d rounds.%n", within == diverged.size() ? "Target met"
                        : "**Target missed**", ms(RoundFigures.median(diverged.stream()
                        .mapToLong(DivergenceRound::repairMillis))), ms(RoundFigures.max(diverged.stream()
                        .mapToLong(DivergenceRound::repairMillis))), RepairPlan.REPAIR_TARGET_MILLIS, within,
                diverged.size()));
    }

    private void renderReplaced(StringBuilder out) {
        out.append(String.format(Locale.ROOT, "%n#### A replaced node holding %,d keys%n%n", plan.keys()));
        out.append(String.format(Locale.ROOT, "Node %d is killed (`kill -9`), its data directory deleted, and started "
                + "again, empty (it takes a new incarnation and pulls everything back with hash-tree passes); times "
                + "from its launch: until it answers PING (its JVM starting, then waiting for its peers' first GC "
                + "status), and until it is complete (`sync_state:complete`) and every node's digest is equal. "
                + "MB/s = payload / (complete − serving); CPU from the launch (the new JVM's start included). "
                + "Target (issues 8 and 9): at least %.0f MB/s.%n%n", nodes,
                RepairPlan.CATCH_UP_TARGET_MB_PER_SEC));
        MarkdownTable table = new MarkdownTable(
                List.of("Round", "Payload", "Serving", "Connected", "Complete", "MB/s", "Repair bytes received",
                        "CPU, all nodes", "Verification"),
                aligns(9));
        for (CatchUpRound r : replaced) {
            table.addRow(List.of(Integer.toString(r.round()), megabytes(r.payloadBytes()), ms(r.servingMillis()),
                    ms(r.connectedMillis()), ms(r.completeMillis()), rate(r), megabytes(r.repairBytes()), cpu(r),
                    verification(r.verification(), r.error())));
        }
        addSummary(table, replaced, 1, true);
        out.append(table.render());
        out.append('\n').append(rateVerdict(replaced)).append('\n');
    }

    /**
     * Median and worst rows under a catch-up table: {@code blanks} empty cells after the label, then
     * (when {@code serving}) the serving time, the connected and complete times and the rate.
     */
    private static void addSummary(MarkdownTable table, List<CatchUpRound> rounds, int blanks, boolean serving) {
        if (rounds.size() < 2) {
            return;
        }
        for (boolean median : new boolean[] {true, false}) {
            List<String> cells = new ArrayList<>(List.of(median ? "median" : "worst"));
            for (int i = 0; i < blanks; i++) {
                cells.add("");
            }
            if (serving) {
                cells.add(ms(pick(median, rounds, CatchUpRound::servingMillis)));
            }
            cells.add(ms(pick(median, rounds, CatchUpRound::connectedMillis)));
            cells.add(ms(pick(median, rounds, CatchUpRound::completeMillis)));
            OptionalDouble rate = median ? RoundFigures.median(rounds.stream().mapToDouble(CatchUpRound::megabytesPerSecond))
                    : RoundFigures.min(rounds.stream().mapToDouble(CatchUpRound::megabytesPerSecond));
            cells.add(rate.isPresent() ? String.format(Locale.ROOT, "%.1f", rate.getAsDouble()) : "n/a");
            cells.add("");
            cells.add(ms(pick(median, rounds, CatchUpRound::cpuMillis)));
            cells.add("");
            table.addRow(cells);
        }
    }

    private static OptionalLong pick(boolean median, List<CatchUpRound> rounds,
                                     java.util.function.ToLongFunction<CatchUpRound> metric) {
        return median ? RoundFigures.median(rounds.stream().mapToLong(metric))
                : RoundFigures.max(rounds.stream().mapToLong(metric));
    }

    /** The catch-up verdict: the median rate against the target, and how many rounds met it. */
    static String rateVerdict(List<CatchUpRound> rounds) {
        OptionalDouble median = RoundFigures.median(rounds.stream().mapToDouble(CatchUpRound::megabytesPerSecond));
        long met = rounds.stream().filter(r -> r.ok()
                && r.megabytesPerSecond() >= RepairPlan.CATCH_UP_TARGET_MB_PER_SEC).count();
        return String.format(Locale.ROOT, "%s: %s MB/s (median); at least %.0f MB/s in %d of %d rounds.",
                met == rounds.size() ? "Target met" : "**Target missed**",
                median.isPresent() ? String.format(Locale.ROOT, "%.1f", median.getAsDouble()) : "n/a",
                RepairPlan.CATCH_UP_TARGET_MB_PER_SEC, met, rounds.size());
    }

    private static List<MarkdownTable.Align> aligns(int columns) {
        List<MarkdownTable.Align> aligns = new ArrayList<>();
        aligns.add(MarkdownTable.Align.LEFT);
        for (int i = 1; i < columns - 1; i++) {
            aligns.add(MarkdownTable.Align.RIGHT);
        }
        aligns.add(MarkdownTable.Align.LEFT);
        return aligns;
    }

    private static String verification(String ok, String error) {
        return error != null ? "**" + error + "**" : ok == null ? "not verified" : ok;
    }

    private static String cpu(CatchUpRound r) {
        return ms(r.cpuMillis());
    }

    private static String rate(CatchUpRound r) {
        double rate = r.megabytesPerSecond();
        return Double.isNaN(rate) ? "n/a" : String.format(Locale.ROOT, "%.1f", rate);
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    private static String ms(OptionalLong value) {
        return value.isPresent() ? ms(value.getAsLong()) : "n/a";
    }

    private static String ms(long value) {
        return value < 0 ? "never" : String.format(Locale.ROOT, "%,d ms", value);
    }

    private static String count(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }
}
