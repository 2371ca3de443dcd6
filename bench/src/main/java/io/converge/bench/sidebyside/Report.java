package io.converge.bench.sidebyside;

import java.util.List;
import java.util.Locale;

/**
 * Assembles the markdown section of one run: when, where and how it ran, a throughput table per
 * pipeline depth, the memory table, and any failures. Printed and, with {@code --out}, appended
 * to a file such as BENCHMARKS.md.
 *
 * @param commandLine how the run was invoked
 * @param machine     where it ran
 * @param plan        what it measured
 * @param targets     the systems compared, baseline first
 * @param memoryTargets the systems in the memory comparison (a prefix of {@code targets}), baseline first
 * @param throughput  throughput results, or null when skipped
 * @param memory      memory results, or null when skipped
 * @param treeCost    the trees-on/trees-off comparison of the throughput phase, or null when not measured
 * @param partition   time-to-converge results, or null when skipped
 * @param repair      repair and catch-up results, or null when skipped
 * @param problems    failures that stopped part of the run
 * @param loadBefore  1-minute load average when the run began
 * @param loadAfter   1-minute load average when it ended
 */
public record Report(String commandLine, MachineInfo machine, RunPlan plan, List<TargetSpec> targets,
                     List<TargetSpec> memoryTargets, ThroughputResults throughput, List<MemoryResult> memory,
                     TreeCostTable treeCost, PartitionResults partition, RepairResults repair, List<String> problems,
                     String loadBefore, String loadAfter) {

    /** The whole section as markdown. */
    public String render() {
        StringBuilder out = new StringBuilder();
        out.append("## Side-by-side run, ").append(machine.date()).append("\n\n");
        out.append("- Command: `").append(commandLine).append("`\n");
        out.append(String.format(Locale.ROOT, "- Machine: %d cores (nproc), %s, %s, %s%n",
                machine.cores(), machine.cpu(), machine.memory(), machine.os()));
        out.append("- Load average (1 min): ").append(loadBefore).append(" before the run, ").append(loadAfter)
                .append(" after it (the run itself keeps about 2 busy; more means other work shared the machine)\n");
        out.append("- Java: ").append(machine.javaVersion()).append("\n");
        out.append("- redis-server: ").append(machine.redisServer()).append("; ")
                .append(machine.redisBenchmark()).append("\n");
        for (TargetSpec target : targets) {
            out.append("- Target ").append(target.name()).append(": `").append(target.description()).append("`\n");
        }
        if (throughput != null) {
            out.append(String.format(Locale.ROOT, "- Load: redis-benchmark, %d clients, random keys from %,d, "
                            + "%,d requests per test at pipeline 1 and %,d deeper; %s; targets alternate test by test; "
                            + "%s. "
                            + "redis-benchmark runs on the same machine and shares its %d cores with the server "
                            + "it measures, so absolute numbers are low and ratios are what matter.%n",
                    plan.clients(), plan.keyspace(), plan.requestsUnpipelined(), plan.requestsPipelined(),
                    plan.warmupRequests() == 0 ? "no warm-up"
                            : String.format(Locale.ROOT, "warm-up of %,d requests per test and target first",
                            plan.warmupRequests()),
                    plan.rounds() == 1 ? "one round" : "figures are medians of " + plan.rounds() + " rounds",
                    machine.cores()));
            for (int pipeline : throughput.pipelines()) {
                out.append("\n### Throughput and latency, pipeline ").append(pipeline).append("\n\n");
                String goals = ThroughputTable.goalsLine(pipeline, targets);
                if (!goals.isEmpty()) {
                    out.append(goals).append("\n\n");
                }
                out.append(ThroughputTable.render(throughput, pipeline, targets));
            }
            if (treeCost != null) {
                out.append(treeCost.render(throughput));
            }
            List<String> failures = throughput.failures();
            if (!failures.isEmpty()) {
                out.append("\nFailed measurements:\n\n");
                failures.forEach(f -> out.append("- ").append(f).append('\n'));
            }
        }
        if (memory != null && !memory.isEmpty()) {
            out.append(String.format(Locale.ROOT, "%n### Memory, %,d small string keys%n%n", memory.get(0).keys()));
            out.append("Fresh servers; keys `key:0000000`.., values `val<n>` (4-10 bytes), loaded with pipelined "
                    + "SETs on one connection; a JVM gets a full GC (`jcmd <pid> GC.run`) before each reading.\n\n");
            out.append(MemoryTable.render(memory, memoryTargets));
        }
        if (partition != null) {
            out.append(partition.render());
        }
        if (repair != null) {
            out.append(repair.render());
        }
        if (!problems.isEmpty()) {
            out.append("\n### Problems\n\n");
            problems.forEach(p -> out.append("- ").append(p.replace("\n", "\n  ")).append('\n'));
        }
        return out.toString();
    }

    /** Whether anything failed (a target that would not start, a failed measurement). */
    public boolean hasFailures() {
        return !problems.isEmpty()
                || (throughput != null && !throughput.failures().isEmpty())
                || (memory != null && memory.stream().anyMatch(m -> m.error() != null))
                || (partition != null && !partition.failures().isEmpty())
                || (repair != null && !repair.failures().isEmpty());
    }
}
