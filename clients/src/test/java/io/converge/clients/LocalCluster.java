package io.converge.clients;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A 3-node Converge cluster ({@code converge up}) in a separate JVM started from the server jar,
 * on free ports, with its data in a temporary directory; {@link #close()} stops it and deletes
 * the data.
 */
final class LocalCluster implements AutoCloseable {
    private final Process process;
    private final int basePort;
    private final Path dir;

    private LocalCluster(Process process, int basePort, Path dir) {
        this.process = process;
        this.basePort = basePort;
        this.dir = dir;
    }

    /** Starts the cluster and waits until every node answers on its port. */
    static LocalCluster start() throws IOException, InterruptedException {
        String jar = System.getProperty("converge.serverJar", "../server/target/converge-server.jar");
        if (!Files.exists(Path.of(jar))) {
            throw new IllegalStateException("server jar not found at " + jar + " (build the server module first)");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        Path dir = Files.createTempDirectory("converge-clients");
        int base = freeBase();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-jar", jar, "up",
                "--nodes", "3", "--base-port", Integer.toString(base), "--data-dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("cluster.log").toFile()).start();
        LocalCluster cluster = new LocalCluster(p, base, dir);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int i = 0; i < 3; i++) {
            while (!answers(base + i)) {
                if (System.nanoTime() > deadline || !p.isAlive()) {
                    String log = Files.readString(dir.resolve("cluster.log"));
                    cluster.close();
                    throw new IllegalStateException("the cluster did not start:\n" + log);
                }
                Thread.sleep(100);
            }
        }
        return cluster;
    }

    /** The client port of node {@code n} (1 to 3). */
    int port(int n) {
        return basePort + n - 1;
    }

    /** A {@code redis://} address of node {@code n}. */
    String address(int n) {
        return "redis://127.0.0.1:" + port(n);
    }

    private static boolean answers(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            s.getOutputStream().write("PING\r\n".getBytes());
            return s.getInputStream().read() == '+';
        } catch (IOException e) {
            return false;
        }
    }

    /** A base port with the three client ports and their peer ports (+10000) free. */
    private static int freeBase() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base;
            try (ServerSocket s = new ServerSocket(0)) {
                base = s.getLocalPort();
            }
            if (base + 10_002 > 65_535) {
                continue;
            }
            List<ServerSocket> held = new ArrayList<>();
            boolean free = true;
            try {
                for (int i = 0; i < 3 && free; i++) {
                    for (int port : new int[] {base + i, base + 10_000 + i}) {
                        try {
                            held.add(new ServerSocket(port));
                        } catch (IOException e) {
                            free = false;
                            break;
                        }
                    }
                }
            } finally {
                for (ServerSocket s : held) {
                    s.close();
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no free ports for a local cluster");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary directory is harmless
        }
    }
}
