package io.converge.server.testing;

import io.converge.server.config.ConvergeConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Helpers of the TLS tests: a Converge node with a plaintext and a TLS port configured from
 * {@link TestCertificates}, and a plain JDK TLS client that reports what became of a PING.
 */
public final class TlsTargets {
    private TlsTargets() {}

    /** What a {@link #ping} can come to: the server answered PONG, or the connection failed. */
    public static final String PONG = "PONG";
    /** The handshake or the first read failed, or the server closed the connection. */
    public static final String REFUSED = "refused";

    /**
     * Starts a node with a free plaintext port and a free TLS port using {@code certs}' server
     * certificate and CA; {@code customize} may change anything after that. Retries on a port
     * taken between finding and binding it.
     */
    public static ConvergeFixture startConverge(TestCertificates certs, Consumer<ConvergeConfig.Builder> customize) {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = FreePorts.find();
            int tlsPort = FreePorts.find();
            try {
                return ConvergeFixture.start(b -> {
                    b.port(port);
                    tlsConfig(certs, tlsPort).forEach((k, v) -> b.set(k, v));
                    customize.accept(b);
                });
            } catch (IllegalStateException e) {
                if (!(rootCause(e) instanceof BindException)) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }

    /** The TLS keys of a server on {@code tlsPort} with {@code certs}' server certificate, in a stable order. */
    public static LinkedHashMap<String, String> tlsConfig(TestCertificates certs, int tlsPort) {
        LinkedHashMap<String, String> m = new LinkedHashMap<>();
        m.put("tls-port", Integer.toString(tlsPort));
        m.put("tls-cert-file", certs.path("server.crt"));
        m.put("tls-key-file", certs.path("server.key"));
        m.put("tls-ca-cert-file", certs.path("ca.crt"));
        return m;
    }

    /** The same keys as redis-server arguments. */
    public static String[] redisArgs(TestCertificates certs, int tlsPort) {
        return tlsConfig(certs, tlsPort).entrySet().stream()
                .flatMap(e -> Stream.of("--" + e.getKey(), e.getValue())).toArray(String[]::new);
    }

    /**
     * Connects to {@code port} over TLS with {@code ctx} (limited to {@code protocols} when given),
     * sends PING and returns {@link #PONG}, {@link #REFUSED}, or the unexpected reply line.
     */
    public static String ping(int port, SSLContext ctx, String... protocols) {
        return ping(port, ctx, protocols, new String[0]);
    }

    /** Like {@link #ping(int, SSLContext, String...)}, offering only {@code suites} (when given). */
    public static String ping(int port, SSLContext ctx, String[] protocols, String[] suites) {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            if (protocols.length > 0) {
                s.setEnabledProtocols(protocols);
            }
            if (suites.length > 0) {
                s.setEnabledCipherSuites(suites);
            }
            s.startHandshake();
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            if (line == null) {
                return REFUSED;
            }
            return line.equals("+PONG") ? PONG : line;
        } catch (IOException e) {
            return REFUSED;
        }
    }

    /** The subject of the certificate the server at {@code port} presents to a new TLS connection. */
    public static String serverSubject(int port, SSLContext ctx) throws IOException {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    /** Runs {@code redis-cli} over TLS with the client certificate; returns its output, trimmed. */
    public static String redisCli(TestCertificates certs, int port, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "--tls", "--cert", certs.path("client.crt"),
                "--key", certs.path("client.key"), "--cacert", certs.path("ca.crt"), "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("redis-cli did not finish");
        }
        return out;
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
