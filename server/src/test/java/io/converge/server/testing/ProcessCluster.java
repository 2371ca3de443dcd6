package io.converge.server.testing;

import static org.awaitility.Awaitility.await;

import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A cluster of real node processes on loopback for tests: one JVM per node
 * ({@code io.converge.server.Main server --cluster F --node-id N}, from the test classpath), each
 * with its own data directory under a temporary folder, stopped and deleted on {@link #close()}.
 * Nodes can be killed with SIGKILL and started again on their data directory, on an empty one, or
 * on a copy of it taken earlier (a restored backup).
 */
public final class ProcessCluster implements AutoCloseable {

    private final Path dir;
    private final ClusterSpec spec;
    private final Path specFile;
    private final List<String> extraSettings;
    private final String heap;
    private final Map<Integer, Process> processes = new TreeMap<>();

    private ProcessCluster(Path dir, ClusterSpec spec, Path specFile, List<String> extraSettings, String heap) {
        this.dir = dir;
        this.spec = spec;
        this.specFile = specFile;
        this.extraSettings = extraSettings;
        this.heap = heap;
    }

    /**
     * Describes (does not start) {@code nodes} nodes in one datacenter, one rack each, replication
     * factor {@code rf}; every node gets {@code settings} ({@code key=value}) and a heap of {@code heap}.
     */
    public static ProcessCluster create(String name, int nodes, int rf, String heap, List<String> settings)
            throws IOException {
        Path dir = Files.createTempDirectory("converge-" + name);
        List<NodeSpec> specs = new ArrayList<>();
        Set<Integer> ports = new HashSet<>();
        for (int id = 1; id <= nodes; id++) {
            specs.add(new NodeSpec(id, "127.0.0.1", freePort(ports), freePort(ports), "dc1", "rack" + id));
        }
        ClusterSpec spec = new ClusterSpec(name, "secret-" + System.nanoTime(), 64, Map.of("dc1", rf), specs)
                .validate();
        Path file = dir.resolve("cluster.yaml");
        Files.writeString(file, spec.toYaml());
        return new ProcessCluster(dir, spec, file, List.copyOf(settings), heap);
    }

    /** The cluster description. */
    public ClusterSpec spec() {
        return spec;
    }

    /** The client port of node {@code id}. */
    public int port(int id) {
        return spec.node(id).clientPort();
    }

    /** The data directory of node {@code id}. */
    public Path dataDir(int id) {
        return dir.resolve("node-" + id);
    }

    /** Starts every node and waits until each sees all the others up. */
    public void startAll() throws IOException {
        for (NodeSpec n : spec.nodes()) {
            start(n.id());
        }
        for (NodeSpec n : spec.nodes()) {
            awaitPeersUp(n.id());
        }
    }

    /** Starts node {@code id} on its data directory (created if missing). */
    public void start(int id) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+UseParallelGC",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.converge.server.Main", "server", "--cluster", specFile.toString(), "--node-id",
                Integer.toString(id), "--data-dir", dataDir(id).toString()));
        for (String s : extraSettings) {
            command.add("--set");
            command.add(s);
        }
        Path log = logFile(id);
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        processes.put(id, p);
    }

    /** Kills node {@code id} with SIGKILL and waits for it to be gone. */
    public void kill(int id) throws InterruptedException {
        Process p = processes.remove(id);
        if (p != null) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Deletes node {@code id}'s data directory (the node must be stopped): a replaced disk. */
    public void wipe(int id) throws IOException {
        deleteTree(dataDir(id));
    }

    /** Whether node {@code id}'s process was started by this cluster and is still alive. */
    public boolean isRunning(int id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    /**
     * Copies node {@code id}'s data directory aside as backup {@code name} (the node must be
     * stopped, so the copy is consistent), replacing an earlier backup of that name.
     */
    public void backup(int id, String name) throws IOException {
        Path target = backupDir(id, name);
        deleteTree(target);
        copyTree(dataDir(id), target);
    }

    /**
     * Replaces node {@code id}'s data directory by backup {@code name} taken with
     * {@link #backup} (the node must be stopped): a node restored from an older copy of its data.
     */
    public void restore(int id, String name) throws IOException {
        Path source = backupDir(id, name);
        if (!Files.isDirectory(source)) {
            throw new IOException("no backup " + name + " of node " + id);
        }
        deleteTree(dataDir(id));
        copyTree(source, dataDir(id));
    }

    /** Waits up to {@code timeout} until node {@code id} answers PING; whether it did. */
    public boolean awaitServing(int id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try (RespClient c = new RespClient("127.0.0.1", port(id))) {
                if (new RespClient.Simple("PONG").equals(c.call("PING"))) {
                    return true;
                }
            } catch (RuntimeException e) {
                // not listening yet
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** The log file of node {@code id} (every start of the node appends to it). */
    public Path logFile(int id) {
        return dir.resolve("node-" + id + ".log");
    }

    /** The folder holding the cluster file, data directories, backups and logs. */
    public Path directory() {
        return dir;
    }

    private Path backupDir(int id, String name) {
        return dir.resolve("backup-" + name + "-node-" + id);
    }

    /** Waits until node {@code id} answers and sees every other node up. */
    public void awaitPeersUp(int id) {
        int others = spec.nodes().size() - 1;
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .alias("node " + id + " up with its peers (log: " + logTail(id) + ")")
                .until(() -> info(id, "replication", "peers_up").equals(Integer.toString(others)));
    }

    /** A field of INFO {@code section} of node {@code id} ("" when absent). */
    public String info(int id, String section, String field) {
        try (RespClient c = new RespClient("127.0.0.1", port(id))) {
            String info = ((RespClient.Bulk) c.call("INFO", section)).text();
            for (String line : info.split("\r\n")) {
                if (line.startsWith(field + ":")) {
                    return line.substring(field.length() + 1);
                }
            }
            return "";
        }
    }

    /** Every line of INFO {@code section} of node {@code id} starting with {@code prefix}. */
    public List<String> infoLines(int id, String section, String prefix) {
        try (RespClient c = new RespClient("127.0.0.1", port(id))) {
            String info = ((RespClient.Bulk) c.call("INFO", section)).text();
            List<String> lines = new ArrayList<>();
            for (String line : info.split("\r\n")) {
                if (line.startsWith(prefix)) {
                    lines.add(line);
                }
            }
            return lines;
        }
    }

    /** Runs one command on node {@code id} on a fresh connection; the decoded reply. */
    public Object call(int id, String... args) {
        try (RespClient c = new RespClient("127.0.0.1", port(id))) {
            return c.call(args);
        }
    }

    /** The last lines of node {@code id}'s log. */
    public String logTail(int id) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("node-" + id + ".log"));
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        } catch (IOException e) {
            return "no log";
        }
    }

    /** Stops every node (SIGTERM, then SIGKILL) and deletes the folder (kept with -Dconverge.keepTestDirs=true). */
    @Override
    public void close() throws Exception {
        for (Process p : processes.values()) {
            p.destroy();
        }
        for (Process p : processes.values()) {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        processes.clear();
        if (Boolean.getBoolean("converge.keepTestDirs")) {
            System.out.println("kept " + dir + " (converge.keepTestDirs)");
        } else {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        if (!Files.exists(from)) {
            Files.createDirectories(to);
            return;
        }
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().equals("lock")) {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static int freePort(Set<Integer> taken) throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                int port = s.getLocalPort();
                if (taken.add(port)) {
                    return port;
                }
            }
        }
    }
}
