package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A local Converge cluster as one target: {@code java -jar converge-server.jar up --nodes N} on
 * free ports (N nodes in one JVM, one rack each, replication factor min(3, N)), without
 * persistence, with the given default read and write consistency levels. Clients connect to
 * node 1, which coordinates every request (forwarding to the replicas), as a client of a real
 * deployment would.
 *
 * <p>Ready means more than "answers PING": every node answers, and a write sent to node 1 at
 * the configured write level can be read back from every node, so the peers have connected and
 * authenticated before anything is measured.
 *
 * @param name             short name for tables
 * @param javaCommand      the java binary and its JVM options
 * @param jar              the node jar
 * @param nodes            how many nodes (one datacenter)
 * @param readConsistency  {@code read-consistency} of every node (ONE, LOCAL_QUORUM, ...)
 * @param writeConsistency {@code write-consistency} of every node
 * @param tests            the redis-benchmark tests measured on it; empty for all
 * @param goal             what it should achieve against the baseline
 * @param extraConfig      further configuration keys every node gets (e.g. {@code enable-debug-command})
 */
public record ClusterTarget(String name, List<String> javaCommand, Path jar, int nodes, String readConsistency,
                            String writeConsistency, Set<String> tests, PerformanceGoal goal,
                            Map<String, String> extraConfig) implements TargetSpec {
    /** {@code converge up} puts node i's peer port at its client port plus this. */
    public static final int PEER_PORT_OFFSET = 10_000;
    private static final int PORT_ATTEMPTS = 3;
    private static final String READY_KEY = "converge-bench:ready";

    /** Copies the collections so the record stays unchanged (extra keys in name order). */
    public ClusterTarget {
        javaCommand = List.copyOf(javaCommand);
        tests = Set.copyOf(tests);
        extraConfig = java.util.Collections.unmodifiableMap(new TreeMap<>(extraConfig));
        if (nodes < 2) {
            throw new IllegalArgumentException("a cluster target needs at least 2 nodes, got " + nodes);
        }
    }

    /** A target without extra configuration keys. */
    public ClusterTarget(String name, List<String> javaCommand, Path jar, int nodes, String readConsistency,
                         String writeConsistency, Set<String> tests, PerformanceGoal goal) {
        this(name, javaCommand, jar, nodes, readConsistency, writeConsistency, tests, goal, Map.of());
    }

    /** The client port of node {@code node} (1-based) when node 1 listens on {@code basePort}. */
    public static int clientPort(int basePort, int node) {
        return basePort + node - 1;
    }

    @Override
    public boolean runs(String test) {
        return tests.isEmpty() || tests.contains(test.toLowerCase(Locale.ROOT));
    }

    @Override
    public String description() {
        return launchDescription()
                + "; redis-benchmark connects to node 1 (client ports {port}.." + "{port}+" + (nodes - 1)
                + ", peer ports +" + PEER_PORT_OFFSET + ")"
                + (tests.isEmpty() ? "" : "; tests: " + String.join(",", tests.stream().sorted().toList()));
    }

    /** How it is started: the command line (with placeholders) and the configuration every node gets. */
    public String launchDescription() {
        return display(command(CommandTemplate.PORT, Path.of("<log-dir>", name + "-data"),
                Path.of("<log-dir>", name + ".yaml")))
                + " with " + configText().strip().replace("\n", ", ");
    }

    @Override
    public RunningTarget start(Path logDir, Duration readyTimeout, Cleanup cleanup) throws IOException {
        Files.createDirectories(logDir);
        Path config = logDir.resolve(name + ".yaml");
        Files.writeString(config, configText(), StandardCharsets.UTF_8);
        Path dataDir = logDir.resolve(name + "-data");
        for (int attempt = 1; ; attempt++) {
            int basePort = FreePorts.pickRun(nodes, PEER_PORT_OFFSET);
            List<String> argv = command(Integer.toString(basePort), dataDir, config);
            ServerProcess process = cleanup.register(ServerProcess.launch(name, argv,
                    display(argv), basePort, logDir.resolve(name + ".log")));
            try {
                long deadline = System.nanoTime() + readyTimeout.toNanos();
                process.awaitReady(readyTimeout);
                awaitReplication(process, basePort, deadline, readyTimeout);
                return new RunningTarget(this, List.of(process), cleanup);
            } catch (ServerProcess.ServerStartException e) {
                process.close();
                cleanup.unregister(process);
                boolean portTaken = e.logTail().toLowerCase(Locale.ROOT).contains("in use");
                if (!portTaken || attempt == PORT_ATTEMPTS) {
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                process.close();
                cleanup.unregister(process);
                throw e;
            }
        }
    }

    /** The command line for a cluster whose node 1 listens on {@code basePort}. */
    List<String> command(String basePort, Path dataDir, Path config) {
        List<String> argv = new ArrayList<>(javaCommand);
        argv.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "up", "--nodes", Integer.toString(nodes),
                "--base-port", basePort, "--data-dir", dataDir.toString(), "--config", config.toString()));
        return argv;
    }

    private static String display(List<String> argv) {
        return String.join(" ", argv.stream().map(CommandTemplate::shellQuote).toList());
    }

    /**
     * The YAML configuration every node gets: no persistence (like the redis-server baseline), the
     * levels, and the extra keys.
     */
    String configText() {
        Map<String, String> keys = new java.util.LinkedHashMap<>();
        keys.put("appendonly", "no");
        keys.put("read-consistency", readConsistency);
        keys.put("write-consistency", writeConsistency);
        keys.putAll(extraConfig);
        return yaml(keys);
    }

    /** A node configuration file setting {@code keys} (in their order), one {@code key: "value"} line each. */
    static String yaml(Map<String, String> keys) {
        StringBuilder yaml = new StringBuilder();
        keys.forEach((key, value) -> yaml.append(key).append(": \"").append(value).append("\"\n"));
        return yaml.toString();
    }

    /**
     * Waits until every node answers PING and a value written through node 1 reads back from
     * every node; throws with the end of the log otherwise.
     */
    private void awaitReplication(ServerProcess process, int basePort, long deadline, Duration timeout)
            throws IOException {
        String value = UUID.randomUUID().toString();
        String lastProblem = "no answer yet";
        while (true) {
            if (!process.isAlive()) {
                throw new ServerProcess.ServerStartException(name + " exited before its nodes replicated a write (command: "
                        + process.commandLine() + ")\n" + process.logTail(20), process.logTail(20));
            }
            try {
                lastProblem = replicationProblem(basePort, value);
                if (lastProblem == null) {
                    return;
                }
            } catch (IOException e) {
                lastProblem = e.toString();
            }
            if (System.nanoTime() > deadline) {
                throw new ServerProcess.ServerStartException(name + " did not replicate a write to all " + nodes
                        + " nodes within " + timeout.toSeconds() + " s (" + lastProblem + "; command: "
                        + process.commandLine() + ")\n" + process.logTail(20), process.logTail(20));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + name + " to start", e);
            }
        }
    }

    /** Null when the probe write is visible on every node, else what is still wrong. */
    private String replicationProblem(int basePort, String value) throws IOException {
        Duration timeout = Duration.ofSeconds(2);
        try (RespConnection first = RespConnection.open("127.0.0.1", basePort, timeout)) {
            Object reply = first.call("SET", READY_KEY, value);
            if (!"OK".equals(reply)) {
                return "SET on node 1 answered " + reply;
            }
        }
        for (int node = 0; node < nodes; node++) {
            try (RespConnection connection = RespConnection.open("127.0.0.1", basePort + node, timeout)) {
                Object reply = connection.call("GET", READY_KEY);
                if (!value.equals(reply)) {
                    return "node " + (node + 1) + " answered GET with " + reply;
                }
            }
        }
        try (RespConnection first = RespConnection.open("127.0.0.1", basePort, timeout)) {
            first.call("DEL", READY_KEY);
        }
        return null;
    }
}
