package io.converge.server.chaos;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What one chaos run does: which faults, for how long, with how many clients at what rate.
 *
 * @param name             the scenario's name (folder of its report and node logs)
 * @param faults           the faults the nemesis draws from
 * @param faultTime        how long faults are injected (the workload runs throughout)
 * @param wipes            how many times a node's data directory is deleted before it restarts
 * @param restores         how many times a node is restarted from an older copy of its data directory
 * @param clientsPerNode   client threads connected to each node
 * @param opsPerSecond     the workload's total target rate (0: as fast as the clients go)
 * @param convergeTimeout  how long to wait for convergence after the last heal
 * @param seed             seeds every random choice of the workload and the nemesis
 */
record ChaosOptions(String name, Set<Fault> faults, Duration faultTime, int wipes, int restores, int clientsPerNode,
                    int opsPerSecond, Duration convergeTimeout, long seed) {

    /** The faults of the repeating loop (wipes and restores are counted separately). */
    enum Fault {
        /** SIGKILL a random node, restart it on its data directory after a moment. */
        KILL,
        /** Cut a random node from the two others (both sides), heal after a few seconds. */
        PARTITION
    }

    /** Defaults for the suite: kills and partitions for {@code faultTime}, no wipe, no restore. */
    static ChaosOptions of(String name, Duration faultTime) {
        return new ChaosOptions(name, EnumSet.allOf(Fault.class), faultTime, 0, 0, 2, 1000, Duration.ofSeconds(60),
                Long.getLong("converge.chaos.seed", System.nanoTime()));
    }

    /** The same with {@code n} replaced data directories. */
    ChaosOptions withWipes(int n) {
        return new ChaosOptions(name, faults, faultTime, n, restores, clientsPerNode, opsPerSecond, convergeTimeout,
                seed);
    }

    /** The same with {@code n} restored backups. */
    ChaosOptions withRestores(int n) {
        return new ChaosOptions(name, faults, faultTime, wipes, n, clientsPerNode, opsPerSecond, convergeTimeout, seed);
    }

    /** The same with only {@code loop} in the repeating loop (may be empty). */
    ChaosOptions withFaults(Set<Fault> loop) {
        return new ChaosOptions(name, loop.isEmpty() ? EnumSet.noneOf(Fault.class) : EnumSet.copyOf(loop), faultTime,
                wipes, restores, clientsPerNode, opsPerSecond, convergeTimeout, seed);
    }

    /** The same with another convergence bound. */
    ChaosOptions withConvergeTimeout(Duration timeout) {
        return new ChaosOptions(name, faults, faultTime, wipes, restores, clientsPerNode, opsPerSecond, timeout, seed);
    }

    /** The same with {@code perNode} client threads per node and a total of {@code rate} ops/s. */
    ChaosOptions withLoad(int perNode, int rate) {
        return new ChaosOptions(name, faults, faultTime, wipes, restores, perNode, rate, convergeTimeout, seed);
    }

    /**
     * Parses a list such as {@code kill,partition,wipe,restore} into the loop's faults plus counts:
     * {@code wipe} and {@code restore} each add one occurrence per started 2 minutes of fault time.
     */
    ChaosOptions withFaultList(String list) {
        Set<Fault> loop = EnumSet.noneOf(Fault.class);
        int w = 0;
        int r = 0;
        long perTwoMinutes = Math.max(1, (faultTime.toSeconds() + 119) / 120);
        for (String f : list.split(",")) {
            switch (f.trim().toLowerCase(Locale.ROOT)) {
                case "kill" -> loop.add(Fault.KILL);
                case "partition" -> loop.add(Fault.PARTITION);
                case "wipe" -> w = (int) perTwoMinutes;
                case "restore" -> r = (int) perTwoMinutes;
                case "" -> { }
                default -> throw new IllegalArgumentException("unknown fault '" + f
                        + "' (known: kill, partition, wipe, restore)");
            }
        }
        return withFaults(loop).withWipes(w).withRestores(r);
    }

    /** One line for the report. */
    String describe() {
        return String.format(Locale.ROOT,
                "scenario %s: faults %s for %d s, %d replaced data dir(s), %d restored backup(s), %d clients per node, "
                        + "%s ops/s, seed %d", name, faults.toString().toLowerCase(Locale.ROOT), faultTime.toSeconds(),
                wipes, restores, clientsPerNode, opsPerSecond == 0 ? "unlimited" : Integer.toString(opsPerSecond), seed);
    }
}
