package io.converge.server.cli;

import io.converge.server.ConvergeNode;
import io.converge.server.NodeLauncher;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.config.ConfigException;
import io.converge.server.config.ConfigLoader;
import io.converge.server.config.ConvergeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code converge up}: the default local deployment, a cluster of 3 nodes on 127.0.0.1 (one rack
 * each, replication factor 3) with the embedded engine, all in this process; Ctrl-C stops them
 * all. {@code --nodes N --dcs D} starts N nodes in each of D datacenters instead (replication
 * factor min(3, N) per datacenter); {@code --nodes 1} starts a single node outside any cluster.
 * Node i (from 1) listens for clients on base-port + i - 1, for peers on base-port + 10000 +
 * i - 1 and for HTTP (its admin endpoint: /metrics, /health, /ready) on admin-base-port + i - 1,
 * and keeps its files in {@code <data-dir>/node-<client port>}.
 */
@Command(name = "up", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Start a local cluster in the foreground (default: 3 nodes on 127.0.0.1:7001-7003, replication factor 3); Ctrl-C stops it.")
public final class UpCli implements Callable<Integer> {

    @Option(names = "--nodes", paramLabel = "N", defaultValue = "3", description = "Nodes per datacenter (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--dcs", paramLabel = "D", defaultValue = "1", description = "Datacenters (default: ${DEFAULT-VALUE}).")
    int dcs;

    @Option(names = "--base-port", paramLabel = "P", defaultValue = "7001", description = "Client port of the first node (default: ${DEFAULT-VALUE}); peer ports start at P+10000.")
    int basePort;

    @Option(names = "--admin-base-port", paramLabel = "A", description = "HTTP admin port of the first node (/metrics, /health, /ready); 0: none. Default: base port + 1000, for each node whose port is free.")
    Integer adminBasePort;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data", description = "Directory holding each node's files in node-<port> (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration applied to every node (its port, data-dir, node-id and cluster are set per node).")
    Path config;

    @Override
    public Integer call() {
        if (nodes < 1 || dcs < 1) {
            System.err.println("converge up: --nodes and --dcs must be at least 1");
            return 2;
        }
        int total = nodes * dcs;
        if (basePort < 1 || basePort + total - 1 + (total > 1 ? 10_000 : 0) > 65_535) {
            System.err.println("converge up: --base-port " + basePort + " leaves no room for " + total
                    + " client ports" + (total > 1 ? " and peer ports (base + 10000 ...)" : ""));
            return 2;
        }
        if (total == 1) {
            Map<String, String> overrides = new LinkedHashMap<>();
            overrides.put("port", Integer.toString(basePort));
            overrides.put("data-dir", dataDir.resolve("node-" + basePort).toString());
            overrides.put("admin-port", Integer.toString(adminPort(0)));
            return ServerCli.runForeground(config, overrides, "up");
        }
        ConvergeConfig base;
        try {
            base = ConfigLoader.load(config, Map.of());
        } catch (ConfigException e) {
            System.err.println("converge up: configuration error: " + e.getMessage());
            return 1;
        }
        ClusterSpec spec = ClusterSpec.localCluster(total, dcs, basePort);
        List<Integer> adminPorts = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            adminPorts.add(adminPort(i));
        }
        List<ConvergeNode> started = new ArrayList<>(total);
        Thread hook = new Thread(() -> closeAll(started), "converge-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        // All at once: a node with data waits (a few seconds at most) for its peers to confirm its
        // data directory before it serves, which they can only do once they are up too.
        List<java.util.concurrent.CompletableFuture<Void>> starts = new ArrayList<>();
        for (NodeSpec n : spec.nodes()) {
            ConvergeConfig nodeConfig = base.toBuilder().nodeId(Integer.toString(n.id()))
                    .dataDir(dataDir.resolve("node-" + n.clientPort())).adminPort(adminPorts.get(n.id() - 1)).build();
            starts.add(java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    ConvergeNode node = NodeLauncher.start(nodeConfig, spec);
                    synchronized (started) {
                        started.add(node);
                    }
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, r -> new Thread(r, "converge-start-" + n.id()).start()));
        }
        try {
            for (java.util.concurrent.CompletableFuture<Void> f : starts) {
                try {
                    f.join();
                } catch (java.util.concurrent.CompletionException e) {
                    throw e.getCause() instanceof Exception cause ? cause : e;
                }
            }
            synchronized (started) {
                started.sort(java.util.Comparator.comparingInt(ConvergeNode::port));
            }
        } catch (Exception e) {
            for (java.util.concurrent.CompletableFuture<Void> f : starts) {
                f.exceptionally(x -> null).join(); // let every start finish before closing what started
            }
            System.err.println("converge up: failed to start: " + e.getMessage());
            closeAll(started);
            removeHook(hook);
            return 1;
        }
        System.out.println(readyMessage(spec));
        System.out.println(adminMessage(adminPorts));
        System.out.flush();
        try {
            for (ConvergeNode node : started) {
                node.awaitClose();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeAll(started);
        removeHook(hook);
        return 0;
    }

    /** The line telling a newcomer what is running and how to use it. */
    static String readyMessage(ClusterSpec spec) {
        StringBuilder sb = new StringBuilder("Converge local cluster ready: ").append(spec.nodes().size())
                .append(" nodes");
        for (String dc : spec.datacenters()) {
            sb.append(", ").append(dc).append(" ports");
            for (NodeSpec n : spec.nodes()) {
                if (n.datacenter().equals(dc)) {
                    sb.append(' ').append(n.clientPort());
                }
            }
            sb.append(" (replication factor ").append(spec.replication().get(dc)).append(')');
        }
        int first = spec.nodes().get(0).clientPort();
        int last = spec.nodes().get(spec.nodes().size() - 1).clientPort();
        return sb.append(". Try: redis-cli -p ").append(first).append(" set k v; redis-cli -p ").append(last)
                .append(" get k. Ctrl-C stops all nodes.").toString();
    }

    /** The line listing each node's admin endpoint, if any. */
    static String adminMessage(List<Integer> adminPorts) {
        StringBuilder sb = new StringBuilder("Admin endpoints (/metrics, /health, /ready):");
        boolean any = false;
        for (int i = 0; i < adminPorts.size(); i++) {
            if (adminPorts.get(i) > 0) {
                sb.append(" node ").append(i + 1).append(" http://127.0.0.1:").append(adminPorts.get(i)).append('/');
                any = true;
            }
        }
        return any ? sb.toString() : "Admin endpoints: none (--admin-base-port 0).";
    }

    /**
     * The admin port of node {@code index} (from 0): as asked with --admin-base-port, or by
     * default base port + 1000 + index when that port is free now (0, none, when it is not: the
     * default must not stop a local cluster from starting).
     */
    private int adminPort(int index) {
        if (adminBasePort != null) {
            return adminBasePort == 0 ? 0 : adminBasePort + index;
        }
        int port = basePort + 1000 + index;
        if (port > 65_535) {
            return 0;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return port;
        } catch (java.io.IOException e) {
            System.err.println("converge up: port " + port + " is taken: node " + (index + 1) + " starts without its admin endpoint");
            return 0;
        }
    }

    private static void closeAll(List<ConvergeNode> nodes) {
        List<ConvergeNode> copy;
        synchronized (nodes) {
            copy = new ArrayList<>(nodes);
        }
        for (ConvergeNode node : copy) {
            node.close();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running or ran
        }
    }
}
