package io.converge.bench.sidebyside;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.function.ToLongFunction;

/**
 * The partition phase's rounds, with the median and maximum times and the markdown section of the
 * report.
 *
 * @param plan       what was measured
 * @param nodes      cluster size (the last node was the isolated one)
 * @param cluster    how the cluster was started (command and configuration), for the report
 * @param loadBefore 1-minute load average when the phase began
 * @param loadAfter  1-minute load average when it ended
 * @param rounds     one entry per round, in order
 */
public record PartitionResults(PartitionPlan plan, int nodes, String cluster, String loadBefore, String loadAfter,
                               List<PartitionRound> rounds) {
    /** Copies the rounds. */
    public PartitionResults {
        rounds = List.copyOf(rounds);
    }

    /** Median over the rounds that converged of {@code metric} (non-negative values only); empty if none. */
    public OptionalLong median(ToLongFunction<PartitionRound> metric) {
        return RoundFigures.median(rounds.stream().mapToLong(metric));
    }

    /** Maximum over the rounds of {@code metric} (non-negative values only); empty if none. */
    public OptionalLong max(ToLongFunction<PartitionRound> metric) {
        return RoundFigures.max(rounds.stream().mapToLong(metric));
    }

    /** What went wrong, one line per failed round (empty when every round converged and verified). */
    public List<String> failures() {
        List<String> out = new ArrayList<>();
        for (PartitionRound r : rounds) {
            if (r.ok()) {
                continue;
            }
            String why = r.error() != null ? r.error()
                    : r.writeProblem() != null ? "a write failed: " + r.writeProblem()
                    : r.verification() == null ? "not verified" : r.verification().summary();
            out.add("partition round " + r.round() + ": " + why);
        }
        return out;
    }

    /** Rounds that converged within the target. */
    public long roundsWithinTarget() {
        return rounds.stream().filter(r -> r.ok() && r.convergeMillis() < plan.targetMillis()).count();
    }

    /** The report's section (a heading, how it was measured, the table, the verdict). */
    public String render() {
        StringBuilder out = new StringBuilder();
        out.append("\n### Time to converge after a partition\n\n");
        out.append(String.format(Locale.ROOT, "Target: every node holds the same data less than %,d ms after the heal "
                + "(issue 4: 100,000 divergent keys after a 10-second partition).%n%n", plan.targetMillis()));
        DivergentWorkload sample = new DivergentWorkload(1, plan.keys(), plan.valueBytes());
        out.append(String.format(Locale.ROOT, "How: a %d-node local cluster (one JVM, replication factor %d); node %d is "
                        + "cut off from the others with `CONVERGE PARTITION` on every node; for %d s, paced pipelined "
                        + "writes at `CONSISTENCY WRITE ONE` go to node 1 and to node %d: %,d keys set on node 1 only, "
                        + "%,d on node %d only, %,d keys set on both sides to different values, %,d counters "
                        + "`INCRBY`'d %d times on each side (%,d distinct keys%s); then `CONVERGE HEAL` on every "
                        + "node. Reconnected = every node's outbound connections reach every peer; converged = every "
                        + "delta acknowledged (a peer acknowledges only what it merged), no hash-tree repair owed "
                        + "(after a delta buffer overflowed) and equal DBSIZE on every node, looked at every ~%d ms "
                        + "(INFO replication and DBSIZE on each node), times from just before "
                        + "the first HEAL. Verified afterwards by reading every key from every node at ONE (MGET): "
                        + "equal everywhere, one-sided keys as written, counters the exact sums.%n%n",
                nodes, Math.min(3, nodes), nodes, plan.partition().toSeconds(), nodes,
                sample.count(DivergentWorkload.Kind.ONLY_SIDE_0), sample.count(DivergentWorkload.Kind.ONLY_SIDE_1),
                nodes, sample.count(DivergentWorkload.Kind.CONFLICT), sample.count(DivergentWorkload.Kind.COUNTER),
                DivergentWorkload.INCREMENTS_PER_SIDE, sample.keys(),
                plan.valueBytes() == 0 ? "" : String.format(Locale.ROOT, "; string values of %,d bytes", plan.valueBytes()),
                PartitionRun.POLL_PAUSE_MILLIS));
        out.append("- Cluster: `").append(cluster).append("`\n");
        out.append("- Load average (1 min): ").append(loadBefore).append(" before this phase, ").append(loadAfter)
                .append(" after it\n\n");
        MarkdownTable table = new MarkdownTable(
                List.of("Round", "Keys diverged", "Writes node 1 / node " + nodes, "Deltas buffered at heal",
                        "Repairs owed at heal", "Reconnected", "Converged", "Verification"),
                List.of(MarkdownTable.Align.LEFT, MarkdownTable.Align.RIGHT, MarkdownTable.Align.RIGHT,
                        MarkdownTable.Align.RIGHT, MarkdownTable.Align.RIGHT, MarkdownTable.Align.RIGHT,
                        MarkdownTable.Align.RIGHT, MarkdownTable.Align.LEFT));
        for (PartitionRound r : rounds) {
            String verification = r.error() != null ? "**" + r.error() + "**"
                    : r.verification() == null ? "not verified" : r.verification().summary();
            if (r.writeProblem() != null) {
                verification = "**write failed: " + r.writeProblem() + "**; " + verification;
            }
            table.addRow(List.of(Integer.toString(r.round()), count(r.keys()),
                    count(r.writesMajority()) + " / " + count(r.writesIsolated()), count(r.deltasBuffered()),
                    count(r.repairsOwed()), ms(r.reconnectMillis()), ms(r.convergeMillis()), verification));
        }
        if (rounds.size() > 1) {
            table.addRow(List.of("median", "", "", "", "", ms(median(PartitionRound::reconnectMillis)),
                    ms(median(PartitionRound::convergeMillis)), ""));
            table.addRow(List.of("max", "", "", "", "", ms(max(PartitionRound::reconnectMillis)),
                    ms(max(PartitionRound::convergeMillis)), ""));
        }
        out.append(table.render());
        out.append('\n').append(verdict()).append('\n');
        return out.toString();
    }

    /** One line: median and maximum against the target, and how many rounds met it. */
    String verdict() {
        OptionalLong median = median(PartitionRound::convergeMillis);
        OptionalLong max = max(PartitionRound::convergeMillis);
        long within = roundsWithinTarget();
        boolean met = within == rounds.size();
        return String.format(Locale.ROOT, "%s: converged %s after the heal (median; max %s); under %,d ms in %d of %d "
                        + "rounds%s.", met ? "Target met" : "**Target missed**", ms(median), ms(max),
                plan.targetMillis(), within, rounds.size(), failures().isEmpty() ? "" : "; see the failed rounds above");
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
