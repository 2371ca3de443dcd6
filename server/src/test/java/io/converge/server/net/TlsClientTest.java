package io.converge.server.net;

import static io.converge.server.testing.TlsTargets.PONG;
import static io.converge.server.testing.TlsTargets.REFUSED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.converge.server.testing.ConvergeFixture;
import io.converge.server.testing.FreePorts;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.TestCertificates;
import io.converge.server.testing.TlsTargets;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Transaction;

/**
 * Clients over TLS, against a node with a plaintext port and a TLS port: redis-cli, Lettuce and
 * Jedis in RESP2 and RESP3, pipelining, pub/sub, MULTI, scripts, blocking commands and CLIENT
 * LIST over TLS; a certificate reload by CONFIG SET; plaintext on the TLS port; TLS only.
 */
class TlsClientTest {
    private static TestCertificates certs;
    private static ConvergeFixture node;

    @BeforeAll
    static void start() {
        certs = TestCertificates.create();
        node = TlsTargets.startConverge(certs, b -> { });
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
        if (certs != null) {
            certs.close();
        }
    }

    @Test
    void redisCliOverTls() throws Exception {
        int port = node.node().tlsPort();
        assertThat(TlsTargets.redisCli(certs, port, "PING")).isEqualTo("PONG");
        assertThat(TlsTargets.redisCli(certs, port, "SET", "cli:k", "over tls")).isEqualTo("OK");
        assertThat(TlsTargets.redisCli(certs, port, "GET", "cli:k")).isEqualTo("over tls");
        assertThat(TlsTargets.redisCli(certs, port, "-3", "HELLO", "3")).contains("proto").contains("3");
        // the plaintext port alongside sees the same data
        try (RespClient c = new RespClient("127.0.0.1", node.port())) {
            assertThat(c.call("GET", "cli:k")).isEqualTo(new RespClient.Bulk("over tls"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"RESP2", "RESP3"})
    void lettuce(String protocol) throws Exception {
        SslOptions ssl = SslOptions.builder().jdkSslProvider()
                .keyManager(certs.file("client.crt").toFile(), certs.file("client.key").toFile(), null)
                .trustManager(certs.file("ca.crt").toFile()).build();
        RedisURI uri = RedisURI.builder().withHost("127.0.0.1").withPort(node.node().tlsPort()).withSsl(true)
                .withVerifyPeer(SslVerifyMode.FULL).withTimeout(Duration.ofSeconds(10)).build();
        RedisClient client = RedisClient.create(uri);
        client.setOptions(ClientOptions.builder().sslOptions(ssl).protocolVersion(ProtocolVersion.valueOf(protocol)).build());
        try (StatefulRedisConnection<String, String> conn = client.connect();
             StatefulRedisPubSubConnection<String, String> sub = client.connectPubSub()) {
            RedisCommands<String, String> redis = conn.sync();
            assertThat(redis.ping()).isEqualTo("PONG");
            assertThat(redis.set("lettuce:" + protocol, "v")).isEqualTo("OK");
            assertThat(redis.get("lettuce:" + protocol)).isEqualTo("v");
            assertThat(redis.hset("lettuce:h:" + protocol, "f", "1")).isTrue();
            assertThat(redis.hgetall("lettuce:h:" + protocol)).containsEntry("f", "1");
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    received.add(channel + "=" + message);
                }
            });
            sub.sync().subscribe("tls-news");
            assertThat(redis.publish("tls-news", "hello")).isEqualTo(1L);
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("tls-news=hello");
        } finally {
            client.shutdown();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"RESP2", "RESP3"})
    void jedis(String protocol) throws Exception {
        DefaultJedisClientConfig config = DefaultJedisClientConfig.builder().ssl(true)
                .sslSocketFactory(certs.clientContext("client").getSocketFactory())
                .protocol(RedisProtocol.valueOf(protocol)).timeoutMillis(10_000).build();
        HostAndPort at = new HostAndPort("127.0.0.1", node.node().tlsPort());
        try (Jedis jedis = new Jedis(at, config); Jedis other = new Jedis(at, config)) {
            String k = "jedis:" + protocol;
            assertThat(jedis.ping()).isEqualTo("PONG");
            jedis.clientSetname("tls-" + protocol);
            // pipelining: many requests in one TLS write, their replies in order
            Pipeline p = jedis.pipelined();
            for (int i = 0; i < 2000; i++) {
                p.rpush(k + ":list", Integer.toString(i));
            }
            p.sync();
            assertThat(jedis.llen(k + ":list")).isEqualTo(2000);
            assertThat(jedis.lindex(k + ":list", 1999)).isEqualTo("1999");
            // a value larger than a TLS record both ways
            String big = "x".repeat(3 << 20);
            jedis.set(k + ":big", big);
            assertThat(jedis.get(k + ":big")).isEqualTo(big);
            // MULTI/EXEC
            Transaction t = jedis.multi();
            t.incr(k + ":n");
            t.incrBy(k + ":n", 41);
            assertThat(t.exec()).containsExactly(1L, 42L);
            // a script
            assertThat(jedis.eval("return redis.call('GET', KEYS[1])", 1, k + ":n")).isEqualTo("42");
            // a blocking command, released by another TLS connection
            CompletableFuture<List<String>> popped = CompletableFuture.supplyAsync(() -> jedis.blpop(10, k + ":queue"));
            awaitBlocked(other);
            other.rpush(k + ":queue", "job");
            assertThat(popped.get(10, TimeUnit.SECONDS)).containsExactly(k + ":queue", "job");
            // CLIENT LIST shows the TLS connection, on the TLS port
            String me = jedis.clientList().lines().filter(l -> l.contains(" name=tls-" + protocol + " ")).findFirst()
                    .orElseThrow();
            assertThat(me).contains("laddr=127.0.0.1:" + node.node().tlsPort())
                    .contains("resp=" + (protocol.equals("RESP3") ? 3 : 2));
            assertThat(jedis.clientInfo()).contains(" name=tls-" + protocol + " ")
                    .contains("laddr=127.0.0.1:" + node.node().tlsPort());
        }
    }

    private static void awaitBlocked(Jedis other) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (other.info("clients").contains("blocked_clients:1")) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the BLPOP never blocked");
    }

    @Test
    void plaintextOnTheTlsPortIsRefusedAndTheServerKeepsServing() throws Exception {
        Logger guardLog = (Logger) LoggerFactory.getLogger(TlsHandshakeGuard.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        guardLog.addAppender(logged);
        try {
            plaintextThrice();
        } finally {
            guardLog.detachAppender(logged);
        }
        // each refusal is one short line, as Redis logs it, without a stack trace
        assertThat(logged.list).hasSize(3).allSatisfy(e -> {
            assertThat(e.getFormattedMessage()).startsWith("Error accepting a client connection: not an SSL/TLS record")
                    .hasSizeLessThan(300);
            assertThat(e.getThrowableProxy()).isNull();
        });
        assertThat(TlsTargets.ping(node.node().tlsPort(), certs.clientContext("client"))).isEqualTo(PONG);
        try (RespClient c = new RespClient("127.0.0.1", node.port())) {
            assertThat(c.call("PING")).isEqualTo(new RespClient.Simple("PONG"));
        }
    }

    private void plaintextThrice() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (Socket s = new Socket("127.0.0.1", node.node().tlsPort())) {
                s.setSoTimeout(15_000);
                OutputStream out = s.getOutputStream();
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] got;
                try {
                    got = in.readAllBytes(); // until the server closes (a timeout fails the test)
                } catch (SocketException reset) {
                    got = new byte[0];
                }
                assertThat(new String(got, StandardCharsets.ISO_8859_1)).as("no RESP reply on the TLS port")
                        .doesNotContain("PONG");
            }
        }
    }

    @Test
    void configSetOfTheCertificateReloadsItForNewConnections() throws Exception {
        try (ConvergeFixture own = TlsTargets.startConverge(certs, b -> { })) {
            int port = own.node().tlsPort();
            SSLContext ctx = certs.clientContext("client");
            assertThat(TlsTargets.serverSubject(port, ctx)).isEqualTo("CN=converge-test-server-1");
            try (Jedis before = new Jedis(new HostAndPort("127.0.0.1", port), DefaultJedisClientConfig.builder()
                    .ssl(true).sslSocketFactory(ctx.getSocketFactory()).build());
                 RespClient admin = new RespClient("127.0.0.1", own.port())) {
                assertThat(before.ping()).isEqualTo("PONG");
                assertThat(admin.call("CONFIG", "SET", "tls-cert-file", certs.path("server2.crt"), "tls-key-file",
                        certs.path("server2.key"))).isEqualTo(new RespClient.Simple("OK"));
                assertThat(TlsTargets.serverSubject(port, ctx)).isEqualTo("CN=converge-test-server-2");
                assertThat(before.ping()).as("a connection made before keeps working").isEqualTo("PONG");

                // a file that cannot be loaded: Redis's error, and the certificate in force stays
                assertThat(admin.call("CONFIG", "SET", "tls-cert-file", certs.path("missing.crt"))).isEqualTo(new Err(
                        "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS "
                                + "configuration. Check server logs."));
                assertThat(admin.call("CONFIG", "SET", "tls-key-file", certs.path("client.key"))).isInstanceOf(Err.class);
                assertThat(admin.call("CONFIG", "GET", "tls-cert-file"))
                        .isEqualTo(List.of(new RespClient.Bulk("tls-cert-file"), new RespClient.Bulk(certs.path("server2.crt"))));
                assertThat(TlsTargets.serverSubject(port, ctx)).isEqualTo("CN=converge-test-server-2");
                assertThat(TlsTargets.ping(port, ctx)).isEqualTo(PONG);
            }
        }
    }

    @Test
    void portZeroWithATlsPortMeansTlsOnly() throws Exception {
        int tlsPort = FreePorts.find();
        try (ConvergeFixture own = ConvergeFixture.start(b -> TlsTargets.tlsConfig(certs, tlsPort).forEach(b::set))) {
            assertThat(own.port()).isZero();
            assertThat(own.node().tlsPort()).isEqualTo(tlsPort);
            assertThat(TlsTargets.redisCli(certs, tlsPort, "INFO", "server")).contains("tcp_port:" + tlsPort);
            assertThat(TlsTargets.redisCli(certs, tlsPort, "CONFIG", "GET", "port")).isEqualTo("port\n0");
        }
    }

    @Test
    void aNodeWhoseTlsFilesCannotBeLoadedDoesNotStart() {
        int tlsPort = FreePorts.find();
        assertThatThrownBy(() -> ConvergeFixture.start(b -> {
            TlsTargets.tlsConfig(certs, tlsPort).forEach(b::set);
            b.set("tls-key-file", certs.path("nope.key"));
        })).rootCause().hasMessageContaining("nope.key");
        assertThatThrownBy(() -> ConvergeFixture.start(b -> {
            TlsTargets.tlsConfig(certs, tlsPort).forEach(b::set);
            b.set("tls-ca-cert-file", "");
        })).hasStackTraceContaining("Failed to configure TLS: Either tls-ca-cert-file or tls-ca-cert-dir must be specified");
    }

    @Test
    void aCaDirectoryWorksLikeACaFile() throws Exception {
        Path caDir = certs.file("ca-dir");
        Files.createDirectories(caDir);
        Files.copy(certs.file("ca.crt"), caDir.resolve("ca.pem"),
                StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(caDir.resolve("README"), "not a certificate");
        try (ConvergeFixture own = TlsTargets.startConverge(certs, b -> b.set("tls-ca-cert-file", "")
                .set("tls-ca-cert-dir", caDir.toString()))) {
            int port = own.node().tlsPort();
            assertThat(TlsTargets.ping(port, certs.clientContext("client"))).isEqualTo(PONG);
            assertThat(TlsTargets.ping(port, certs.clientContext("untrusted"))).isEqualTo(REFUSED);
        }
    }
}
