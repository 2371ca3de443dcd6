package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A cluster of separate node processes on loopback, one JVM per node, as a real deployment runs
 * it: a cluster file (one datacenter, one rack per node, replication factor min(3, N)) and
 * {@code java -jar converge-server.jar server --cluster FILE --node-id N --data-dir D --config C}
 * per node. A node can be killed ({@code kill -9}), its data directory deleted (a replaced disk),
 * and started again on the same ports (logging to {@code node-N-startK.log}). Every process is
 * registered with the run's {@link Cleanup}; {@link #close} stops them all.
 */
public final class NodeCluster implements AutoCloseable {
    private static final int PORT_ATTEMPTS = 3;

    private final String name;
    private final List<String> javaCommand;
    private final Path jar;
    private final int nodes;
    private final Path dir;
    private final Cleanup cleanup;
    private final ServerProcess[] processes;
    /** Per node, how often it was launched (each launch logs to a file of its own). */
    private final int[] launches;
    private int basePort;

    private NodeCluster(String name, List<String> javaCommand, Path jar, int nodes, Path dir, Cleanup cleanup) {
        this.name = name;
        this.javaCommand = List.copyOf(javaCommand);
        this.jar = jar;
        this.nodes = nodes;
        this.dir = dir;
        this.cleanup = cleanup;
        this.processes = new ServerProcess[nodes + 1];
        this.launches = new int[nodes + 1];
    }

    /**
     * Starts {@code nodes} nodes (at least 2) with files under {@code dir}, every node configured
     * with {@code config}, and waits until each answers PING; retries on other ports when one was
     * taken meanwhile.
     */
    public static NodeCluster start(String name, List<String> javaCommand, Path jar, int nodes,
                                    Map<String, String> config, Path dir, Duration readyTimeout, Cleanup cleanup)
            throws IOException {
        if (nodes < 2) {
            throw new IllegalArgumentException("a cluster needs at least 2 nodes, got " + nodes);
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("node.yaml"), ClusterTarget.yaml(config), StandardCharsets.UTF_8);
        NodeCluster cluster = new NodeCluster(name, javaCommand, jar, nodes, dir, cleanup);
        for (int attempt = 1; ; attempt++) {
            cluster.basePort = FreePorts.pickRun(nodes, ClusterTarget.PEER_PORT_OFFSET);
            Files.writeString(cluster.clusterFile(), cluster.clusterText(UUID.randomUUID().toString()),
                    StandardCharsets.UTF_8);
            try {
                for (int node = 1; node <= nodes; node++) {
                    cluster.launch(node);
                }
                for (int node = 1; node <= nodes; node++) {
                    cluster.processes[node].awaitReady(readyTimeout);
                }
                return cluster;
            } catch (ServerProcess.ServerStartException e) {
                cluster.close();
                boolean portTaken = e.logTail().toLowerCase(Locale.ROOT).contains("in use");
                if (!portTaken || attempt == PORT_ATTEMPTS) {
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                cluster.close();
                throw e;
            }
        }
    }

    /** The client ports, node 1 first. */
    public List<Integer> ports() {
        List<Integer> ports = new ArrayList<>();
        for (int node = 1; node <= nodes; node++) {
            ports.add(port(node));
        }
        return ports;
    }

    /** The client port of node {@code node} (1-based). */
    public int port(int node) {
        return ClusterTarget.clientPort(basePort, node);
    }

    /** The process id of node {@code node}, or -1 while it is not running. */
    public long pid(int node) {
        ServerProcess process = processes[node];
        return process == null ? -1 : process.pid();
    }

    /**
     * CPU time the node processes used so far, summed (user and system, as the operating system
     * counts it; a node not running counts 0).
     */
    public Duration cpuTime() {
        Duration total = Duration.ZERO;
        for (int node = 1; node <= nodes; node++) {
            ServerProcess process = processes[node];
            if (process != null) {
                total = total.plus(ProcessHandle.of(process.pid()).flatMap(h -> h.info().totalCpuDuration())
                        .orElse(Duration.ZERO));
            }
        }
        return total;
    }

    /** How a node is started, with placeholders, for the report. */
    public String launchDescription() {
        List<String> argv = command("N", Path.of("<dir>", "cluster.yaml"), Path.of("<dir>", "node-N"),
                Path.of("<dir>", "node.yaml"));
        return String.join(" ", argv.stream().map(CommandTemplate::shellQuote).toList());
    }

    /** Kills node {@code node} with SIGKILL and waits until it is gone. */
    public void kill(int node) {
        ServerProcess process = processes[node];
        if (process != null) {
            process.kill();
            cleanup.unregister(process);
            processes[node] = null;
        }
    }

    /** Deletes node {@code node}'s data directory (the node must be stopped): a replaced disk. */
    public void wipe(int node) throws IOException {
        Path data = dataDir(node);
        if (!Files.exists(data)) {
            return;
        }
        try (Stream<Path> files = Files.walk(data)) {
            for (Path path : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(path);
            }
        }
    }

    /** Starts node {@code node} again on its ports and data directory, and waits until it answers PING. */
    public void restart(int node, Duration readyTimeout) throws IOException {
        launch(node);
        processes[node].awaitReady(readyTimeout);
    }

    /** Whether every node's process is running. */
    public boolean allAlive() {
        for (int node = 1; node <= nodes; node++) {
            if (processes[node] == null || !processes[node].isAlive()) {
                return false;
            }
        }
        return true;
    }

    private void launch(int node) throws IOException {
        List<String> argv = command(Integer.toString(node), clusterFile(), dataDir(node), dir.resolve("node.yaml"));
        int launch = ++launches[node];
        processes[node] = cleanup.register(ServerProcess.launch(name + "-node" + node, argv,
                String.join(" ", argv.stream().map(CommandTemplate::shellQuote).toList()), port(node),
                dir.resolve("node-" + node + (launch == 1 ? "" : "-start" + launch) + ".log")));
    }

    private List<String> command(String node, Path clusterFile, Path dataDir, Path config) {
        List<String> argv = new ArrayList<>(javaCommand);
        argv.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "server", "--cluster", clusterFile.toString(),
                "--node-id", node, "--data-dir", dataDir.toString(), "--config", config.toString()));
        return argv;
    }

    private Path clusterFile() {
        return dir.resolve("cluster.yaml");
    }

    private Path dataDir(int node) {
        return dir.resolve("node-" + node);
    }

    /** The cluster description: every node on 127.0.0.1, one rack each, client and peer ports as {@code up} lays them out. */
    private String clusterText(String secret) {
        StringBuilder yaml = new StringBuilder();
        yaml.append("name: ").append(name).append('\n');
        yaml.append("secret: ").append(secret).append('\n');
        yaml.append("replication:\n  dc1: ").append(Math.min(3, nodes)).append('\n');
        yaml.append("nodes:\n");
        for (int node = 1; node <= nodes; node++) {
            yaml.append(String.format(Locale.ROOT, "  - {id: %d, host: 127.0.0.1, client_port: %d, peer_port: %d, "
                    + "datacenter: dc1, rack: rack%d}%n", node, port(node), port(node) + ClusterTarget.PEER_PORT_OFFSET,
                    node));
        }
        return yaml.toString();
    }

    /** Stops every node (SIGTERM, then SIGKILL after a grace period). */
    @Override
    public void close() {
        for (int node = 1; node <= nodes; node++) {
            ServerProcess process = processes[node];
            if (process != null) {
                process.close();
                cleanup.unregister(process);
                processes[node] = null;
            }
        }
    }
}
