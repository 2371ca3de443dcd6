package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The --cluster target against the real node jar: it starts, replicates, answers and stops cleanly. */
class ClusterTargetTest {
    /** The node jar of this checkout (built by the reactor's package phase before the bench tests). */
    static final Path NODE_JAR = Path.of("..", "server", "target", "converge-server.jar");

    @TempDir
    Path logs;

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Test
    void startsThreeNodesThatReplicateAnswersOnEveryPortAndStopsThemAll() throws Exception {
        assumeTrue(Files.isRegularFile(NODE_JAR), "no node jar at " + NODE_JAR.toAbsolutePath() + " (mvn package first)");
        ClusterTarget target = new ClusterTarget("cluster", List.of(java(), "-Xmx512m"), NODE_JAR, 3,
                "LOCAL_QUORUM", "LOCAL_QUORUM", Set.of(), PerformanceGoal.LOCAL_CLUSTER);
        Cleanup cleanup = new Cleanup();
        RunningTarget running = target.start(logs, Duration.ofSeconds(60), cleanup);
        ServerProcess process = running.entryPoint();
        int base = running.clientPort();
        List<Integer> ports = new ArrayList<>(List.of(base, base + 1, base + 2));
        ports.addAll(List.of(base + 10_000, base + 10_001, base + 10_002));
        try {
            try (RespConnection first = process.connect(Duration.ofSeconds(5))) {
                assertThat(first.call("SET", "bench:k", "v1")).isEqualTo("OK");
                assertThat(first.call("CONFIG", "GET", "read-consistency")).isEqualTo(List.of("read-consistency", "LOCAL_QUORUM"));
                assertThat(first.call("CONFIG", "GET", "appendonly")).isEqualTo(List.of("appendonly", "no"));
            }
            // LOCAL_QUORUM reads on node 3 see the quorum write made through node 1.
            try (RespConnection third = RespConnection.open("127.0.0.1", base + 2, Duration.ofSeconds(5))) {
                assertThat(third.call("GET", "bench:k")).isEqualTo("v1");
            }
            assertThat(ports).allSatisfy(port -> assertThat(accepts(port)).as("port " + port + " listens").isTrue());
            assertThat(Files.readString(logs.resolve("cluster.yaml"))).contains("appendonly: \"no\"");
        } finally {
            running.close();
        }

        assertThat(process.isAlive()).isFalse();
        assertThat(ProcessHandle.of(process.pid()).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(ports).allSatisfy(port -> assertThat(accepts(port)).as("port " + port + " closed").isFalse());
        cleanup.close();
    }

    @Test
    void describesItsCommandAndConfigurationAndRunsOnlyItsTests() {
        ClusterTarget reads = new ClusterTarget("qr", List.of("java", "-Xmx1g"), Path.of("/x/node.jar"), 3,
                "LOCAL_QUORUM", "LOCAL_QUORUM", Set.of("get"), PerformanceGoal.LOCAL_CLUSTER);
        ClusterTarget all = new ClusterTarget("all", List.of("java"), Path.of("/x/node.jar"), 3, "ONE",
                "LOCAL_QUORUM", Set.of(), PerformanceGoal.LOCAL_CLUSTER);

        assertThat(reads.description()).startsWith("java -Xmx1g -jar /x/node.jar up --nodes 3 --base-port {port} ")
                .contains("appendonly: \"no\", read-consistency: \"LOCAL_QUORUM\", write-consistency: \"LOCAL_QUORUM\"")
                .contains("tests: get");
        assertThat(reads.runs("get")).isTrue();
        assertThat(reads.runs("GET")).isTrue();
        assertThat(reads.runs("set")).isFalse();
        assertThat(all.runs("zadd")).isTrue();
        assertThat(all.command("7001", Path.of("d"), Path.of("c.yaml")))
                .containsExactly("java", "-jar", Path.of("/x/node.jar").toAbsolutePath().toString(), "up", "--nodes", "3",
                        "--base-port", "7001", "--data-dir", "d", "--config", "c.yaml");
    }

    @Test
    void clusterPortsAndTheirPeerPortsAreFreeAndBelowTheEphemeralRange() {
        int base = FreePorts.pickRun(3, 10_000);

        assertThat(base).isBetween(FreePorts.RUN_LOWEST, FreePorts.RUN_HIGHEST_PEER - 10_002);
        assertThat(FreePorts.allFree(base, 3)).isTrue();
        assertThat(FreePorts.allFree(base + 10_000, 3)).isTrue();
    }
}
