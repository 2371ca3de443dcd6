package io.converge.server.net;

import static io.converge.server.testing.TlsTargets.PONG;
import static io.converge.server.testing.TlsTargets.REFUSED;
import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.config.ConvergeConfig;
import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.FreePorts;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.ServerTarget;
import io.converge.server.testing.TestCertificates;
import io.converge.server.testing.TlsTargets;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * TLS as redis-server 7.0 does it, side by side: both servers get the same certificates and
 * options, then the same clients (none, a trusted or an untrusted certificate, TLSv1.2 only)
 * must meet the same outcome under each tls-auth-clients and tls-protocols value, set by CONFIG
 * SET on the plaintext port; CONFIG GET and the CONFIG SET errors of the TLS keys must match.
 */
class TlsDifferentialTest extends DifferentialTestBase {
    private final TestCertificates certs = TestCertificates.create();
    private final int redisTlsPort = FreePorts.find();

    @Override
    protected String[] redisArgs() {
        return TlsTargets.redisArgs(certs, redisTlsPort);
    }

    @Override
    protected void configureConverge(ConvergeConfig.Builder config) {
        config.port(FreePorts.find()); // port 0 would mean TLS only
        TlsTargets.tlsConfig(certs, FreePorts.find()).forEach(config::set);
    }

    @AfterAll
    void removeCertificates() {
        certs.close();
    }

    @AfterEach
    void restoreDefaults() {
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                c.call("CONFIG", "SET", "tls-auth-clients", "yes", "tls-protocols", "", "tls-ciphers", "",
                        "tls-ciphersuites", "");
            }
        }
    }

    private int tlsPort(ServerTarget t) {
        return t == redis ? redisTlsPort : converge.node().tlsPort();
    }

    /** What each kind of client gets from {@code t}: no certificate, the CA's, another CA's, TLSv1.2 only. */
    private List<String> outcomes(ServerTarget t) {
        int port = tlsPort(t);
        return List.of(
                "none:" + TlsTargets.ping(port, certs.clientContext(null)),
                "trusted:" + TlsTargets.ping(port, certs.clientContext("client")),
                "untrusted:" + TlsTargets.ping(port, certs.clientContext("untrusted")),
                "tls1.2:" + TlsTargets.ping(port, certs.clientContext("client"), "TLSv1.2"),
                "tls1.3:" + TlsTargets.ping(port, certs.clientContext("client"), "TLSv1.3"));
    }

    private List<String> sameOutcomes(String... configSet) {
        List<List<String>> all = new ArrayList<>();
        for (ServerTarget t : List.of(redis, converge)) {
            if (configSet.length > 0) {
                try (RespClient c = new RespClient(t)) {
                    List<String> args = new ArrayList<>(List.of("CONFIG", "SET"));
                    args.addAll(List.of(configSet));
                    assertThat(c.call(args.toArray(new String[0]))).as(t.name()).isEqualTo(new RespClient.Simple("OK"));
                }
            }
            all.add(outcomes(t));
        }
        assertThat(all.get(1)).as("converge's outcomes equal redis-server's").isEqualTo(all.get(0));
        return all.get(1);
    }

    @Test
    void authClientsYesRequiresATrustedCertificate() {
        assertThat(sameOutcomes()).containsExactly("none:" + REFUSED, "trusted:" + PONG, "untrusted:" + REFUSED,
                "tls1.2:" + PONG, "tls1.3:" + PONG);
    }

    @Test
    void authClientsOptionalAcceptsNoCertificateButNotAnUntrustedOne() {
        assertThat(sameOutcomes("tls-auth-clients", "optional")).containsExactly("none:" + PONG, "trusted:" + PONG,
                "untrusted:" + REFUSED, "tls1.2:" + PONG, "tls1.3:" + PONG);
    }

    @Test
    void authClientsNoAcceptsAnyClient() {
        assertThat(sameOutcomes("tls-auth-clients", "no")).containsExactly("none:" + PONG, "trusted:" + PONG,
                "untrusted:" + PONG, "tls1.2:" + PONG, "tls1.3:" + PONG);
    }

    @Test
    void tlsProtocolsLimitTheVersions() {
        assertThat(sameOutcomes("tls-protocols", "TLSv1.3")).containsExactly("none:" + REFUSED, "trusted:" + PONG,
                "untrusted:" + REFUSED, "tls1.2:" + REFUSED, "tls1.3:" + PONG);
        assertThat(sameOutcomes("tls-protocols", "tlsv1.2")).containsExactly("none:" + REFUSED, "trusted:" + PONG,
                "untrusted:" + REFUSED, "tls1.2:" + PONG, "tls1.3:" + REFUSED);
    }

    @Test
    void cipherListsLimitTheSuitesOfTheirVersion() {
        List<List<String>> all = new ArrayList<>();
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                assertThat(c.call("CONFIG", "SET", "tls-ciphersuites", "TLS_AES_256_GCM_SHA384", "tls-ciphers",
                        "ECDHE-RSA-AES256-GCM-SHA384")).as(t.name()).isEqualTo(new RespClient.Simple("OK"));
            }
            int port = tlsPort(t);
            String[] tls13 = {"TLSv1.3"};
            String[] tls12 = {"TLSv1.2"};
            all.add(List.of(
                    "1.3 aes256:" + TlsTargets.ping(port, certs.clientContext("client"), tls13,
                            new String[] {"TLS_AES_256_GCM_SHA384"}),
                    "1.3 aes128:" + TlsTargets.ping(port, certs.clientContext("client"), tls13,
                            new String[] {"TLS_AES_128_GCM_SHA256"}),
                    "1.2 aes256:" + TlsTargets.ping(port, certs.clientContext("client"), tls12,
                            new String[] {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}),
                    "1.2 aes128:" + TlsTargets.ping(port, certs.clientContext("client"), tls12,
                            new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"})));
        }
        assertThat(all.get(1)).as("converge's outcomes equal redis-server's").isEqualTo(all.get(0))
                .containsExactly("1.3 aes256:" + PONG, "1.3 aes128:" + REFUSED, "1.2 aes256:" + PONG,
                        "1.2 aes128:" + REFUSED);
    }

    @Test
    void configGetAndConfigSetErrorsMatch() {
        same(2, c -> List.of(
                c.call("CONFIG", "SET", "tls-cert-file", certs.path("missing.crt")),
                c.call("CONFIG", "SET", "tls-protocols", "TLSv9"),
                c.call("CONFIG", "SET", "tls-auth-clients", "maybe"),
                c.call("CONFIG", "SET", "tls-prefer-server-ciphers", "perhaps"),
                c.call("CONFIG", "SET", "tls-session-cache-size", "-1"),
                c.call("CONFIG", "SET", "tls-ca-cert-file", certs.path("server.key")),
                c.call("CONFIG", "SET", "tls-session-cache-timeout", "600")));
        List<String> keys = List.of("tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-ca-cert-file",
                "tls-ca-cert-dir", "tls-auth-clients", "tls-protocols", "tls-ciphers", "tls-ciphersuites",
                "tls-prefer-server-ciphers", "tls-session-caching", "tls-session-cache-size",
                "tls-session-cache-timeout", "tls-client-cert-file", "tls-client-key-file");
        Map<String, Object> redisValues = new TreeMap<>();
        Map<String, Object> convergeValues = new TreeMap<>();
        for (String key : keys) {
            try (RespClient r = new RespClient(redis); RespClient c = new RespClient(converge)) {
                redisValues.put(key, r.call("CONFIG", "GET", key));
                convergeValues.put(key, c.call("CONFIG", "GET", key));
            }
        }
        assertThat(convergeValues).isEqualTo(redisValues);
        try (RespClient c = new RespClient(converge)) {
            c.call("CONFIG", "SET", "tls-session-cache-timeout", "300");
        }
        try (RespClient r = new RespClient(redis)) {
            r.call("CONFIG", "SET", "tls-session-cache-timeout", "300");
        }
    }

    @Test
    void plaintextOnTheTlsPortGetsNoReply() throws Exception {
        for (ServerTarget t : List.of(redis, converge)) {
            try (Socket s = new Socket("127.0.0.1", tlsPort(t))) {
                s.setSoTimeout(15_000);
                s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] got;
                try {
                    got = s.getInputStream().readAllBytes();
                } catch (SocketException reset) {
                    got = new byte[0];
                }
                assertThat(new String(got, StandardCharsets.ISO_8859_1)).as(t.name()).doesNotContain("PONG");
            }
            assertThat(TlsTargets.ping(tlsPort(t), certs.clientContext("client"))).as(t.name()).isEqualTo(PONG);
        }
    }
}
