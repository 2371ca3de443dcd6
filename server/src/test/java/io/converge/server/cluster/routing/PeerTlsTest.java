package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.ConvergeNode;
import io.converge.server.NodeLauncher;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Mutual TLS on the peer links of a two-node cluster ({@code tls: true}): nodes with
 * certificates from the cluster's CA replicate; a node whose certificate another CA signed, or
 * that speaks plaintext, is refused at the TLS handshake and counted, and nothing reaches it.
 */
class PeerTlsTest {
    private static TestCertificates certs;
    private final List<ConvergeNode> nodes = new ArrayList<>();
    private Path root;

    @BeforeAll
    static void createCertificates() {
        certs = TestCertificates.create();
    }

    @AfterAll
    static void removeCertificates() {
        certs.close();
    }

    @AfterEach
    void stopNodes() {
        nodes.forEach(ConvergeNode::close);
        nodes.clear();
        root = null; // removed with the certificates' directory
    }

    private ClusterSpec twoNodes() {
        Set<Integer> ports = new HashSet<>();
        List<NodeSpec> specs = List.of(
                new NodeSpec(1, "127.0.0.1", TestCluster.distinctFreePort(ports), TestCluster.distinctFreePort(ports), "dc1", "r1"),
                new NodeSpec(2, "127.0.0.1", TestCluster.distinctFreePort(ports), TestCluster.distinctFreePort(ports), "dc1", "r2"));
        return new ClusterSpec("tls-test", "secret-" + System.nanoTime(), 16, Map.of("dc1", 2), specs, true).validate();
    }

    /** Starts node {@code id} of {@code spec} presenting {@code certName}.crt/.key, trusting the test CA. */
    private ConvergeNode start(ClusterSpec spec, int id, String certName) throws Exception {
        if (root == null) {
            root = Files.createTempDirectory(certs.dir(), "nodes");
        }
        ConvergeConfig config = ConvergeConfig.builder().nodeId(Integer.toString(id)).dataDir(root.resolve("n" + id))
                .set("appendonly", "no").set("write-consistency", "ALL").set("request-timeout-ms", "500")
                .set("tls-cert-file", certs.path(certName + ".crt")).set("tls-key-file", certs.path(certName + ".key"))
                .set("tls-ca-cert-file", certs.path("ca.crt")).build();
        ConvergeNode node = NodeLauncher.start(config, spec);
        nodes.add(node);
        return node;
    }

    private static Object set(ConvergeNode node, String key, String value) {
        try (RespClient c = new RespClient("127.0.0.1", node.port())) {
            return c.call("SET", key, value);
        }
    }

    private static long authFailures(ConvergeNode node) {
        try (RespClient c = new RespClient("127.0.0.1", node.port())) {
            String info = ((RespClient.Bulk) c.call("INFO", "cluster")).text();
            return info.lines().filter(l -> l.startsWith("peer_auth_failures:")).map(l -> Long.parseLong(l.substring(19)))
                    .findFirst().orElseThrow();
        }
    }

    @Test
    void nodesWithTheClustersCertificatesReplicateOverTls() throws Exception {
        ClusterSpec spec = twoNodes();
        ConvergeNode one = start(spec, 1, "server");
        ConvergeNode two = start(spec, 2, "server2");
        await().atMost(Duration.ofSeconds(20)).until(() -> new RespClient.Simple("OK").equals(set(one, "k", "v")));
        try (RespClient c = new RespClient("127.0.0.1", two.port())) {
            assertThat(c.call("GET", "k")).isEqualTo(new RespClient.Bulk("v"));
        }
        assertThat(set(two, "k2", "from two")).isEqualTo(new RespClient.Simple("OK")); // acknowledged by node 1 (ALL)
        assertThat(authFailures(one)).isZero();
        assertThat(authFailures(two)).isZero();
    }

    @Test
    void aNodeWithAnotherCasCertificateIsRefused() throws Exception {
        ClusterSpec spec = twoNodes();
        ConvergeNode one = start(spec, 1, "server");
        ConvergeNode two = start(spec, 2, "untrusted"); // trusts the CA, but another CA signed its own certificate
        await().atMost(Duration.ofSeconds(20)).until(() -> authFailures(one) >= 2); // its dial-in and node 1's dial-out
        assertThat(set(one, "k", "v")).as("a write at ALL cannot reach node 2").isInstanceOf(RespClient.Err.class);
        try (RespClient c = new RespClient("127.0.0.1", two.port())) {
            c.call("CONSISTENCY", "READ", "ONE");
            assertThat(c.call("GET", "k")).isNotEqualTo(new RespClient.Bulk("v"));
        }
    }

    @Test
    void aNodeGivenTheRightCertificateByConfigSetIsLetIn() throws Exception {
        ClusterSpec spec = twoNodes();
        ConvergeNode one = start(spec, 1, "server");
        ConvergeNode two = start(spec, 2, "untrusted");
        await().atMost(Duration.ofSeconds(20)).until(() -> authFailures(one) >= 2);
        try (RespClient c = new RespClient("127.0.0.1", two.port())) {
            assertThat(c.call("CONFIG", "SET", "tls-cert-file", certs.path("server2.crt"), "tls-key-file",
                    certs.path("server2.key"))).isEqualTo(new RespClient.Simple("OK"));
        }
        // the next links (reconnects, with their backoff) use the new certificate
        await().atMost(Duration.ofSeconds(20)).until(() -> new RespClient.Simple("OK").equals(set(one, "k", "v")));
    }

    @Test
    void aNodeWithoutTlsIsRefused() throws Exception {
        ClusterSpec spec = twoNodes();
        ConvergeNode one = start(spec, 1, "server");
        start(spec.withTls(false), 2, "server2"); // the same cluster, but this node's file says no TLS
        await().atMost(Duration.ofSeconds(20)).until(() -> authFailures(one) >= 1);
        assertThat(set(one, "k", "v")).isInstanceOf(RespClient.Err.class);
    }

    @Test
    void theDescriptionSaysWhetherPeerLinksUseTls() {
        String yaml = """
                name: c
                secret: s
                tls: true
                replication: {dc1: 1}
                nodes:
                  - {id: 1, host: 127.0.0.1, client_port: 7001, peer_port: 17001}
                """;
        assertThat(ClusterSpec.parse(yaml).tls()).isTrue();
        assertThat(ClusterSpec.parse(yaml.replace("tls: true\n", "")).tls()).isFalse();
        assertThat(ClusterSpec.parse(ClusterSpec.parse(yaml).toYaml()).tls()).isTrue();
    }
}
