package io.converge.server.chaos;

import io.converge.server.chaos.History.Kind;
import io.converge.server.chaos.History.Op;
import io.converge.server.chaos.History.Outcome;
import io.converge.server.testing.ProcessCluster;
import io.converge.server.testing.RespClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The chaos workload: client threads on every node, each on its own connection at the default
 * write level (LOCAL_QUORUM), sending {@code INCRBY} of positive amounts to a few counters,
 * {@code SADD} of unique members to a few sets, {@code RPUSH} of unique elements to two lists,
 * {@code SET} of unique keys, and {@code DEL} of
 * keys whose {@code SET} was acknowledged. Every command that reached the wire is recorded in the
 * {@link History} with its outcome; a client whose connection broke reconnects to the same node
 * (waiting while it is down).
 */
final class Workload {

    /** Counter keys. */
    static final int COUNTERS = 4;
    /** Set keys. */
    static final int SETS = 4;
    /** List keys. */
    static final int LISTS = 2;

    private final ProcessCluster cluster;
    private final History history;
    private final ChaosOptions options;
    private final LongSupplier clockMs;
    private final List<Thread> threads = new ArrayList<>();
    private final List<String> ackedSets = new ArrayList<>();
    private volatile boolean running = true;

    /** A workload over {@code cluster} recording into {@code history}; {@code clockMs} is the run's clock. */
    Workload(ProcessCluster cluster, History history, ChaosOptions options, LongSupplier clockMs) {
        this.cluster = cluster;
        this.history = history;
        this.options = options;
        this.clockMs = clockMs;
    }

    /** The name of counter {@code i}. */
    static String counter(int i) {
        return "chaos:counter:" + i;
    }

    /** The name of set {@code i}. */
    static String set(int i) {
        return "chaos:set:" + i;
    }

    /** The name of list {@code i}. */
    static String list(int i) {
        return "chaos:list:" + i;
    }

    /** Starts the client threads. */
    void start() {
        int nodes = cluster.spec().nodes().size();
        int total = nodes * options.clientsPerNode();
        long intervalNanos = options.opsPerSecond() <= 0 ? 0 : TimeUnit.SECONDS.toNanos(total) / options.opsPerSecond();
        for (int node = 1; node <= nodes; node++) {
            for (int i = 0; i < options.clientsPerNode(); i++) {
                String name = node + "-" + i;
                Random random = new Random(options.seed() * 31 + node * 1000L + i);
                int n = node;
                Thread t = new Thread(() -> run(n, name, random, intervalNanos), "chaos-client-" + name);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }
    }

    /** Stops the clients; each finishes (records) the operation it is in. */
    void stop() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(20_000);
        }
    }

    private void run(int node, String name, Random random, long intervalNanos) {
        RespClient c = null;
        long seq = 0;
        long next = System.nanoTime();
        while (running) {
            if (intervalNanos > 0) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    sleepNanos(wait);
                } else if (wait < -intervalNanos) {
                    next = System.nanoTime(); // behind (node was down): no burst to catch up
                }
                next += intervalNanos;
            }
            if (c == null) {
                try {
                    c = new RespClient("127.0.0.1", cluster.port(node));
                } catch (RuntimeException e) {
                    sleepNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    continue;
                }
            }
            seq++;
            int pick = random.nextInt(100);
            String[] command;
            Kind kind;
            String key;
            String arg = "";
            long amount = 0;
            if (pick < 28) {
                kind = Kind.INCRBY;
                key = counter(random.nextInt(COUNTERS));
                amount = 1 + random.nextInt(10);
                command = new String[] {"INCRBY", key, Long.toString(amount)};
            } else if (pick < 48) {
                kind = Kind.SADD;
                key = set(random.nextInt(SETS));
                arg = "m-" + name + "-" + seq;
                command = new String[] {"SADD", key, arg};
            } else if (pick < 56) {
                kind = Kind.RPUSH;
                key = list(random.nextInt(LISTS));
                arg = "e-" + name + "-" + seq;
                command = new String[] {"RPUSH", key, arg};
            } else if (pick < 86) {
                kind = Kind.SET;
                key = "chaos:str:" + name + "-" + seq;
                arg = "v-" + name + "-" + seq;
                command = new String[] {"SET", key, arg};
            } else {
                String victim = takeAckedSet(random);
                if (victim == null) {
                    continue;
                }
                kind = Kind.DEL;
                key = victim;
                command = new String[] {"DEL", key};
            }
            long start = clockMs.getAsLong();
            Object reply;
            try {
                reply = c.call(command);
            } catch (RuntimeException e) {
                history.add(new Op(kind, node, key, arg, amount, Outcome.UNKNOWN, e.toString(), start,
                        clockMs.getAsLong()));
                c.close();
                c = null;
                continue;
            }
            long end = clockMs.getAsLong();
            if (reply instanceof RespClient.Err err) {
                history.add(new Op(kind, node, key, arg, amount, Outcome.FAILED, err.text(), start, end));
                continue;
            }
            if (kind == Kind.DEL) {
                amount = reply instanceof Long l ? l : -1;
            }
            history.add(new Op(kind, node, key, arg, amount, Outcome.OK, "", start, end));
            if (kind == Kind.SET) {
                synchronized (ackedSets) {
                    ackedSets.add(key);
                }
            }
        }
        if (c != null) {
            c.close();
        }
    }

    /** Removes and returns a random key whose SET was acknowledged (each key is deleted at most once). */
    private String takeAckedSet(Random random) {
        synchronized (ackedSets) {
            if (ackedSets.isEmpty()) {
                return null;
            }
            int i = random.nextInt(ackedSets.size());
            String key = ackedSets.get(i);
            ackedSets.set(i, ackedSets.get(ackedSets.size() - 1));
            ackedSets.remove(ackedSets.size() - 1);
            return key;
        }
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
