package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.Main;
import io.converge.server.testing.FreePorts;
import io.converge.server.testing.RespClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code converge up} as a newcomer uses it, run through the CLI in this JVM on free ports: three
 * nodes come up, {@code SET} on the first is read with {@code GET} on the third, the ring shows
 * three nodes in three racks with replication factor 3, each node's admin endpoint is ready and
 * reports its peers up, and stopping the command (Ctrl-C: interrupting it here) stops every node.
 */
class LocalClusterUpTest {

    @Test
    void upStartsAThreeNodeClusterAndStopsItAgain() throws Exception {
        int base = freeBasePort(3);
        int admin = freeAdminBase(3, base);
        Path dir = Files.createTempDirectory("converge-up");
        Path config = dir.resolve("node.yaml");
        Files.writeString(config, "appendonly: no\n");
        AtomicInteger exit = new AtomicInteger(-1);
        Thread up = new Thread(() -> exit.set(Main.run("up", "--base-port", Integer.toString(base),
                "--data-dir", dir.resolve("data").toString(), "--config", config.toString(), "--admin-base-port",
                Integer.toString(admin))), "converge-up-test");
        up.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> answersPing(base) && answersPing(base + 1)
                    && answersPing(base + 2));
            try (RespClient n1 = new RespClient("127.0.0.1", base);
                 RespClient n3 = new RespClient("127.0.0.1", base + 2)) {
                assertThat(n1.call("SET", "k", "v")).isEqualTo(new RespClient.Simple("OK"));
                await().atMost(Duration.ofSeconds(5))
                        .untilAsserted(() -> assertThat(n3.call("GET", "k")).isEqualTo(new RespClient.Bulk("v")));
                String ring = ((RespClient.Bulk) n3.call("CONVERGE", "RING")).text();
                assertThat(ring).contains("cluster converge-local nodes=3").contains("replication=dc1=3")
                        .contains("1 127.0.0.1:" + base + "@" + (base + 10_000) + " dc1 rack1")
                        .contains("2 127.0.0.1:" + (base + 1) + "@" + (base + 10_001) + " dc1 rack2")
                        .contains("3 127.0.0.1:" + (base + 2) + "@" + (base + 10_002) + " dc1 rack3 myself up");
                for (int i = 0; i < 3; i++) {
                    int port = admin + i;
                    await().atMost(Duration.ofSeconds(10)).until(() -> http(port, "/ready").equals("200 READY\n"));
                    String metrics = http(port, "/metrics");
                    for (int peer = 1; peer <= 3; peer++) {
                        if (peer != i + 1) {
                            assertThat(metrics).contains("converge_peer_up{peer=\"" + peer + "\"} 1.0");
                        }
                    }
                }
                assertThat(n1.call("CONSISTENCY")).isEqualTo(java.util.List.of(new RespClient.Bulk("read"),
                        new RespClient.Bulk("ONE"), new RespClient.Bulk("write"), new RespClient.Bulk("LOCAL_QUORUM")));
            }
        } finally {
            up.interrupt();
            up.join(20_000);
        }
        assertThat(up.isAlive()).isFalse();
        assertThat(exit.get()).isZero();
        for (int i = 0; i < 3; i++) {
            assertThat(answersPing(base + i)).as("node %d stopped", i + 1).isFalse();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** "status body" of an HTTP GET on 127.0.0.1. */
    private static String http(int port, String path) throws IOException, InterruptedException {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    /** A port A with A..A+n-1 free and clear of the cluster's ports around {@code base}. */
    private static int freeAdminBase(int n, int base) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int a = FreePorts.find();
            if (a + n > 65_535 || Math.abs(a - base) < n || Math.abs(a - base - 10_000) < n) {
                continue;
            }
            boolean free = true;
            for (int i = 0; i < n && free; i++) {
                free = isFree(a + i);
            }
            if (free) {
                return a;
            }
        }
        throw new IllegalStateException("no free admin ports");
    }

    /** A base port P with P..P+n-1 and P+10000..P+10000+n-1 free right now. */
    static int freeBasePort(int n) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = FreePorts.find();
            if (base + 10_000 + n > 65_535) {
                continue;
            }
            boolean free = true;
            for (int i = 0; i < n && free; i++) {
                free = isFree(base + i) && isFree(base + 10_000 + i);
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no free port range found");
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean answersPing(int port) {
        try (Socket probe = new Socket()) {
            probe.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
        } catch (IOException e) {
            return false;
        }
        try (RespClient c = new RespClient("127.0.0.1", port)) {
            return new RespClient.Simple("PONG").equals(c.call("PING"));
        } catch (RuntimeException e) {
            return false;
        }
    }
}
