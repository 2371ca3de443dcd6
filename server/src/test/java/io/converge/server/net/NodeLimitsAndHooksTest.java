package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.ConvergeNode;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandSpec;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.node.Engine;
import io.converge.server.testing.ConvergeFixture;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.Simple;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits Redis enforces (buffers, idle timeout, maxclients) and the engine hooks of EXEC/WATCH. */
class NodeLimitsAndHooksTest {
    @TempDir
    Path tempDir;

    @Test
    void queryBufferLimitDisconnects() throws Exception {
        try (ConvergeFixture node = ConvergeFixture.start(c -> c.set("proto-max-bulk-len", "4mb")
                .set("client-query-buffer-limit", "1mb"));
             RespClient observer = new RespClient(node);
             Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", node.port()));
            OutputStream out = s.getOutputStream();
            out.write("*2\r\n$4\r\nECHO\r\n$3000000\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            try {
                for (int i = 0; i < 24; i++) {
                    out.write(chunk);
                }
            } catch (java.io.IOException e) {
                // closed by the server while we were writing: expected
            }
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> node.node().services().clients().count() == 1);
            assertThat(observer.call("PING")).isEqualTo(new Simple("PONG"));
        }
    }

    @Test
    void aRequestOfEndlessSmallArgumentsIsDisconnectedAtTheQueryBufferLimit() throws Exception {
        try (ConvergeFixture node = ConvergeFixture.start(c -> c.set("client-query-buffer-limit", "1mb"));
             RespClient observer = new RespClient(node);
             Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", node.port()));
            OutputStream out = s.getOutputStream();
            out.write("*2147483647\r\n".getBytes(StandardCharsets.US_ASCII));
            // 64k arguments of one byte per write: 448 KB on the wire, about 1.6 MB once decoded.
            byte[] chunk = "$1\r\na\r\n".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
            boolean closed = false;
            try {
                for (int i = 0; i < 100; i++) { // 45 MB at most, were the node to keep reading
                    out.write(chunk);
                }
            } catch (java.io.IOException e) {
                closed = true; // closed by the server while we were writing: expected
            }
            assertThat(closed).as("the node closed the connection before 45 MB of arguments").isTrue();
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> node.node().services().clients().count() == 1);
            assertThat(observer.call("PING")).isEqualTo(new Simple("PONG"));
        }
    }

    @Test
    void outputBufferHardLimitDisconnectsSlowReaders() throws Exception {
        try (ConvergeFixture node = ConvergeFixture.start(c -> c.set("client-output-buffer-limit", "normal 1mb 0 0"));
             RespClient observer = new RespClient(node);
             Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", node.port()));
            OutputStream out = s.getOutputStream();
            byte[] echo = RespClient.encode("ECHO".getBytes(), new byte[100_000]);
            try {
                for (int i = 0; i < 300; i++) {
                    out.write(echo); // never read the replies
                }
            } catch (java.io.IOException e) {
                // closed by the server: expected
            }
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> node.node().services().clients().count() == 1);
            assertThat(observer.call("PING")).isEqualTo(new Simple("PONG"));
        }
    }

    @Test
    void idleClientsAreClosedAfterTimeout() {
        try (ConvergeFixture node = ConvergeFixture.start(); RespClient idle = new RespClient(node);
             RespClient active = new RespClient(node)) {
            assertThat(active.call("CONFIG", "SET", "timeout", "1")).isEqualTo(new Simple("OK"));
            long deadline = System.currentTimeMillis() + 2500;
            while (System.currentTimeMillis() < deadline) {
                assertThat(active.call("PING")).isEqualTo(new Simple("PONG"));
                sleep(200);
            }
            assertThat(idle.isClosedByServer(3000)).isTrue();
            assertThat(active.call("PING")).isEqualTo(new Simple("PONG"));
        }
    }

    @Test
    void maxclientsRefusesExtraConnections() {
        try (ConvergeFixture node = ConvergeFixture.start(c -> c.set("maxclients", "2"));
             RespClient a = new RespClient(node); RespClient b = new RespClient(node)) {
            assertThat(a.call("PING")).isEqualTo(new Simple("PONG"));
            assertThat(b.call("PING")).isEqualTo(new Simple("PONG"));
            try (RespClient c = new RespClient(node)) {
                assertThat(c.readUntilClosedOrIdle(3000)).isEqualTo("-ERR max number of clients reached\r\n<CLOSED>");
            }
            assertThat(node.node().services().stats().rejectedConnections()).isEqualTo(1);
        }
    }

    @Test
    void protoMaxBulkLenAppliesAtRunTime() {
        try (ConvergeFixture node = ConvergeFixture.start(); RespClient c = new RespClient(node)) {
            assertThat(c.call("CONFIG", "SET", "proto-max-bulk-len", "1mb")).isEqualTo(new Simple("OK"));
            assertThat(c.call("CONFIG", "GET", "proto-max-bulk-len"))
                    .isEqualTo(List.of(new Bulk("proto-max-bulk-len"), new Bulk("1048576")));
            try (RespClient d = new RespClient(node)) {
                d.send("*2\r\n$4\r\nECHO\r\n$2000000\r\n");
                assertThat(d.readUntilClosedOrIdle(3000)).isEqualTo("-ERR Protocol error: invalid bulk length\r\n<CLOSED>");
            }
        }
    }

    @Test
    void nodeIdIsGeneratedOnceAndKeptInTheDataDirectory() throws Exception {
        Path dir = tempDir.resolve("node-id-test");
        ConvergeConfig config = ConvergeConfig.builder().port(0).dataDir(dir).build();
        String first;
        try (ConvergeNode node = ConvergeNode.builder(config).start()) {
            first = node.services().nodeId();
        }
        try (ConvergeNode node = ConvergeNode.builder(config).start()) {
            assertThat(node.services().nodeId()).isEqualTo(first).isNotBlank();
            assertThat(Files.readString(dir.resolve("node-id")).trim()).isEqualTo(first);
        }
    }

    /**
     * A minimal engine: key versions in a map. It stands in for the storage engine only to
     * observe what the transaction machinery hands to the engine hooks.
     */
    static final class VersionedEngine implements Engine {
        final Map<String, Long> versions = new ConcurrentHashMap<>();
        final List<String> exclusiveCalls = new ArrayList<>();

        @Override
        public String name() {
            return "versioned-test";
        }

        @Override
        public synchronized void runExclusive(List<byte[]> keys, boolean wholeKeyspace, Runnable body) {
            List<String> names = new ArrayList<>();
            keys.forEach(k -> names.add(new String(k, StandardCharsets.UTF_8)));
            names.sort(null);
            exclusiveCalls.add(names + (wholeKeyspace ? " all" : ""));
            body.run();
        }

        @Override
        public long keyVersion(byte[] key) {
            return versions.getOrDefault(new String(key, StandardCharsets.UTF_8), 0L);
        }

        @Override
        public void close() {}
    }

    @Test
    void watchAndExecUseTheEngineHooks() throws Exception {
        VersionedEngine engine = new VersionedEngine();
        Path dir = tempDir.resolve("hooks-test");
        ConvergeConfig config = ConvergeConfig.builder().port(0).dataDir(dir).build();
        try (ConvergeNode node = ConvergeNode.builder(config)
                .engine(services -> engine)
                .commands(services -> {
                    services.commands().register(CommandSpec.builder("bump").arity(2).flags(CommandFlag.WRITE)
                            .keys(1, 1, 1).handler(ctx -> {
                                engine.versions.merge(ctx.argString(1), 1L, Long::sum);
                                ctx.reply().ok();
                            }).build());
                    services.commands().register(CommandSpec.builder("count").arity(1).flags(CommandFlag.READONLY)
                            .handler(ctx -> ctx.reply().integer(engine.versions.size())).build());
                })
                .start();
             RespClient a = new RespClient("127.0.0.1", node.port());
             RespClient b = new RespClient("127.0.0.1", node.port())) {
            // Untouched watched key: EXEC runs, under the engine's exclusive hook with all keys.
            assertThat(a.call("WATCH", "w")).isEqualTo(new Simple("OK"));
            a.call("MULTI");
            assertThat(a.call("BUMP", "x")).isEqualTo(new Simple("QUEUED"));
            assertThat(a.call("EXEC")).isEqualTo(List.of(new Simple("OK")));
            assertThat(engine.exclusiveCalls).containsExactly("[w, x]");
            // A watched key changed by another client: EXEC answers null and runs nothing.
            a.call("WATCH", "w");
            a.call("MULTI");
            a.call("BUMP", "y");
            assertThat(b.call("BUMP", "w")).isEqualTo(new Simple("OK"));
            assertThat(a.call("EXEC")).isEqualTo(RespClient.Null.ARRAY);
            assertThat(engine.versions).doesNotContainKey("y");
            // Keyless data commands make the transaction exclusive over the whole keyspace.
            a.call("MULTI");
            a.call("COUNT");
            assertThat(a.call("EXEC")).isEqualTo(List.of(2L));
            assertThat(engine.exclusiveCalls).last().isEqualTo("[] all");
            // Queue-time errors abort.
            a.call("MULTI");
            a.call("BUMP");
            assertThat(a.call("EXEC")).isEqualTo(new Err("EXECABORT Transaction discarded because of previous errors."));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
