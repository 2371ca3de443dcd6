package io.converge.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The deterministic simulation: many seeded runs of {@link SimulationRun} (3–9 nodes in 1–3
 * datacenters, random client commands at random levels and coordinators through the production
 * request path, random faults: partitions, lossy links, clock skews and jumps, kill -9, clean
 * stops, power losses, lost data directories, restored backups, nodes away longer than
 * gc-grace-ms), each checked for convergence, counters within what the replies allow, no lost
 * acknowledged writes (those acknowledged only where they ran, by a node that then lost them,
 * aside), no resurrected deletes, collected tombstones and agreeing digests. The figures printed
 * count what the seeds exercised (how many had each kind of fault) and what they found.
 *
 * <p>System properties: {@code converge.sim.seeds} (how many seeds, default {@value #DEFAULT_SEEDS},
 * or {@value #SOAK_SEEDS} in the soak), {@code converge.sim.firstSeed} (default 1),
 * {@code converge.sim.seed} (run only that seed and print its report, for debugging a failure);
 * {@code converge.sim.soak=true} runs the longer, harsher soak (see {@link SimulationRun#SOAK});
 * {@code converge.sim.chaosMillis}, {@code converge.sim.maxOps}, {@code converge.sim.maxFaults},
 * {@code converge.sim.maxJumpMillis}, {@code converge.sim.jumpEvery} and
 * {@code converge.sim.graceEvery} tune runs one by one.
 */
class ReplicationSimulationTest {

    static final int DEFAULT_SEEDS = 2_000;
    static final int SOAK_SEEDS = 20_000;
    private static final int MAX_REPORTED = 3;

    @Test
    void everySeedConvergesWithinWhatTheRepliesAllowAndCollectsItsTombstones() {
        Long only = Long.getLong("converge.sim.seed");
        long first = only != null ? only : Long.getLong("converge.sim.firstSeed", 1L);
        int seeds = only != null ? 1 : Integer.getInteger("converge.sim.seeds",
                SimulationRun.SOAK ? SOAK_SEEDS : DEFAULT_SEEDS);
        List<String> failures = new ArrayList<>();
        int failed = 0;
        long[] totals = new long[SimulationRun.TOTALS.length];
        long started = System.nanoTime();
        long cpuStarted = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        for (long seed = first; seed < first + seeds; seed++) {
            String failure;
            try {
                SimulationRun run = new SimulationRun(seed);
                failure = run.run();
                long[] t = run.totals();
                for (int i = 0; i < t.length; i++) {
                    totals[i] += t[i];
                }
            } catch (RuntimeException | AssertionError e) {
                failure = "seed " + seed + ": threw " + e;
                e.printStackTrace();
            }
            if (failure != null) {
                failed++;
                if (failures.size() < MAX_REPORTED) {
                    failures.add(failure);
                }
            }
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        long cpuMillis = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuStarted) / 1_000_000;
        System.out.printf("replication simulation: %d seeds from %d in %d ms (%d ms CPU), %d failed%n", seeds, first,
                millis, cpuMillis, failed);
        StringBuilder sb = new StringBuilder(" ");
        for (int i = 0; i < totals.length; i++) {
            sb.append(i == 0 ? " " : ", ").append(SimulationRun.TOTALS[i]).append(' ').append(totals[i]);
        }
        System.out.println(sb);
        assertThat(failures)
                .as("%d of %d seeds failed; rerun one with -Dconverge.sim.seed=N", failed, seeds)
                .isEmpty();
    }

    @Test
    void oneSeedReplaysTheSameRun() {
        String a = new SimulationRun(4242).trace();
        String b = new SimulationRun(4242).trace();
        assertThat(a).isEqualTo(b).isNotEqualTo(new SimulationRun(4243).trace());
    }
}
