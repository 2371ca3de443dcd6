package io.converge.server.chaos;

import io.converge.server.chaos.ChaosOptions.Fault;
import io.converge.server.testing.ProcessCluster;
import io.converge.server.testing.RespClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * Injects faults into a {@link ProcessCluster}, one at a time, each undone before the next (a
 * restarted node answers clients before the next fault; its peers may not have noticed yet): SIGKILL
 * and restart of a random node, a random node cut from the two others (both sides) and healed, a
 * node restarted on an empty data directory (a replaced disk), and a node restarted from an older
 * copy of its data directory (a restored backup). Every event is logged with its time.
 */
final class Nemesis {

    /** How long a node restored from a backup first runs on its newer data before it is rolled back. */
    static final Duration RESTORE_RUN = Duration.ofSeconds(8);

    private final ProcessCluster cluster;
    private final ChaosOptions options;
    private final LongSupplier clockMs;
    private final Random random;
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final int nodes;
    private volatile long lastHealMs = -1;

    /** A nemesis for {@code cluster}; {@code clockMs} is the run's clock. */
    Nemesis(ProcessCluster cluster, ChaosOptions options, LongSupplier clockMs) {
        this.cluster = cluster;
        this.options = options;
        this.clockMs = clockMs;
        this.random = new Random(options.seed() ^ 0x5DEECE66DL);
        this.nodes = cluster.spec().nodes().size();
    }

    /** The events so far, one line each ({@code t=12.3s kill -9 node 2}). */
    List<String> events() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    /** When the last fault was undone (run clock, ms), -1 before any. */
    long lastHealMs() {
        return lastHealMs;
    }

    /**
     * Injects faults for {@code options.faultTime()}: the loop's faults with a quiet gap of 1 to
     * 2.5 s between them, and the wipes and restores spread evenly over the period.
     */
    void run() throws Exception {
        long start = clockMs.getAsLong();
        long end = start + options.faultTime().toMillis();
        List<String> specials = new ArrayList<>();
        for (int i = 0; i < options.wipes(); i++) {
            specials.add("wipe");
        }
        for (int i = 0; i < options.restores(); i++) {
            specials.add("restore");
        }
        Collections.shuffle(specials, random);
        List<Long> due = new ArrayList<>();
        for (int i = 0; i < specials.size(); i++) {
            due.add(start + options.faultTime().toMillis() * (i + 1) / (specials.size() + 1));
        }
        List<Fault> loop = new ArrayList<>(options.faults());
        while (clockMs.getAsLong() < end || !specials.isEmpty()) {
            long now = clockMs.getAsLong();
            if (!specials.isEmpty() && now >= due.get(0)) {
                due.remove(0);
                String special = specials.remove(0);
                if (special.equals("wipe")) {
                    wipe(pick());
                } else {
                    restoreBackup(pick());
                }
            } else if (!loop.isEmpty()) {
                switch (loop.get(random.nextInt(loop.size()))) {
                    case KILL -> kill(pick());
                    case PARTITION -> partition(pick());
                }
            } else {
                long until = specials.isEmpty() ? end : Math.min(end, due.get(0));
                Thread.sleep(Math.max(50, Math.min(500, until - now)));
                continue;
            }
            Thread.sleep(1000 + random.nextInt(1500));
        }
    }

    /** Starts every stopped node, heals every cut, and returns when that was done (run clock, ms). */
    long healEverything() throws IOException {
        for (int id = 1; id <= nodes; id++) {
            if (!cluster.isRunning(id)) {
                log("start node %d (final heal)", id);
                cluster.start(id);
            }
        }
        for (int id = 1; id <= nodes; id++) {
            if (!cluster.awaitServing(id, Duration.ofSeconds(60))) {
                log("node %d does not answer after 60 s (log: %s)", id, cluster.logTail(id));
            }
        }
        healAll();
        log("final heal done");
        return lastHealMs;
    }

    private int pick() {
        return 1 + random.nextInt(nodes);
    }

    private void kill(int id) throws Exception {
        log("kill -9 node %d", id);
        cluster.kill(id);
        Thread.sleep(500 + random.nextInt(2000));
        restart(id, "");
    }

    private void partition(int id) throws Exception {
        List<String> others = new ArrayList<>();
        for (int o = 1; o <= nodes; o++) {
            if (o != id) {
                others.add(Integer.toString(o));
            }
        }
        log("partition node %d from %s", id, others);
        List<String> cut = new ArrayList<>(List.of("CONVERGE", "PARTITION"));
        cut.addAll(others);
        call(id, cut.toArray(String[]::new));
        for (String o : others) {
            call(Integer.parseInt(o), "CONVERGE", "PARTITION", Integer.toString(id));
        }
        Thread.sleep(2000 + random.nextInt(3000));
        healAll();
    }

    private void wipe(int id) throws Exception {
        log("kill -9 node %d, delete its data directory (replaced disk)", id);
        cluster.kill(id);
        cluster.wipe(id);
        restart(id, " on an empty data directory");
    }

    private void restoreBackup(int id) throws Exception {
        log("kill -9 node %d, copy its data directory aside (backup)", id);
        cluster.kill(id);
        cluster.backup(id, "chaos");
        restart(id, "");
        long restartedAt = System.currentTimeMillis();
        Thread.sleep(RESTORE_RUN.toMillis());
        awaitSwept(restartedAt + 2000);
        log("kill -9 node %d after %d s of writes, put the backup back (restored backup)", id,
                (System.currentTimeMillis() - restartedAt) / 1000);
        cluster.kill(id);
        cluster.restore(id, "chaos");
        restart(id, " from the backup");
    }

    /**
     * Waits (at most 30 s) until every node swept tombstones through wall-clock time {@code ms}, so
     * the delete records of deletes made after the backup are collected before the roll-back: the
     * case where a restored backup can bring deleted keys back.
     */
    private void awaitSwept(long ms) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> swept = new ArrayList<>();
        while (true) {
            swept.clear();
            long min = Long.MAX_VALUE;
            for (int n = 1; n <= nodes; n++) {
                String s;
                try {
                    s = cluster.info(n, "replication", "tombstone_swept_through_hlc");
                } catch (RuntimeException e) {
                    s = "?";
                }
                swept.add(s);
                int dot = s.indexOf('.');
                min = Math.min(min, dot > 0 ? Long.parseLong(s.substring(0, dot)) : 0);
            }
            if (min >= ms) {
                log("every node swept tombstones past the first 2 s after the backup: %s", swept);
                return;
            }
            if (System.nanoTime() > deadline) {
                log("tombstones not swept past the first 2 s after the backup within 30 s (%s, need %d); going on",
                        swept, ms);
                return;
            }
            Thread.sleep(250);
        }
    }

    private void restart(int id, String how) throws IOException {
        log("start node %d%s", id, how);
        cluster.start(id);
        if (!cluster.awaitServing(id, Duration.ofSeconds(60))) {
            log("node %d does not answer after 60 s (log: %s)", id, cluster.logTail(id));
        }
        lastHealMs = clockMs.getAsLong();
    }

    private void healAll() {
        for (int id = 1; id <= nodes; id++) {
            call(id, "CONVERGE", "HEAL");
        }
        lastHealMs = clockMs.getAsLong();
        log("heal all");
    }

    private void call(int id, String... args) {
        try (RespClient c = new RespClient("127.0.0.1", cluster.port(id))) {
            Object reply = c.call(args);
            if (reply instanceof RespClient.Err e) {
                log("node %d answered %s to %s", id, e.text(), String.join(" ", args));
            }
        } catch (RuntimeException e) {
            log("node %d: %s failed: %s", id, String.join(" ", args), e);
        }
    }

    private void log(String format, Object... args) {
        String line = String.format(Locale.ROOT, "t=%6.1fs  ", clockMs.getAsLong() / 1000.0)
                + String.format(Locale.ROOT, format, args);
        events.add(line);
        System.out.println("chaos: " + line);
    }
}
