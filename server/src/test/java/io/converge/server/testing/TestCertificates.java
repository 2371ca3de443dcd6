package io.converge.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away PKI made with the {@code openssl} command in a temporary directory: a CA, two
 * server certificates it signed for 127.0.0.1 and localhost ({@code server}, {@code server2}),
 * a client certificate it signed ({@code client}), and a client certificate of another CA
 * ({@code untrusted}). Each {@code NAME} has {@code NAME.crt} and {@code NAME.key} (PEM, PKCS#8)
 * and, for the clients, {@code NAME.p12} (password {@link #P12_PASSWORD}) for JDK key stores.
 */
public final class TestCertificates implements AutoCloseable {
    /** Password of the PKCS#12 files. */
    public static final String P12_PASSWORD = "changeit";
    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** Generates the certificates (about a second). */
    public static TestCertificates create() {
        Path dir;
        try {
            dir = Files.createTempDirectory("converge-tls");
            Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestCertificates certs = new TestCertificates(dir);
        certs.ca("ca", "Converge Test CA");
        certs.ca("other-ca", "Some Other CA");
        certs.signed("server", "converge-test-server-1", "ca", true);
        certs.signed("server2", "converge-test-server-2", "ca", true);
        certs.signed("client", "converge-test-client", "ca", false);
        certs.signed("untrusted", "untrusted-client", "other-ca", false);
        certs.p12("client");
        certs.p12("untrusted");
        return certs;
    }

    /** The file {@code name} in the directory (e.g. "server.crt"). */
    public Path file(String name) {
        return dir.resolve(name);
    }

    /** The file's absolute path as text. */
    public String path(String name) {
        return file(name).toAbsolutePath().toString();
    }

    /** The directory holding the files. */
    public Path dir() {
        return dir;
    }

    /**
     * A JDK TLS context that trusts the CA and presents {@code client}'s certificate ("client",
     * "untrusted"), or none when it is null.
     */
    public SSLContext clientContext(String client) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(file("ca.crt"))) {
                Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
                trust.setCertificateEntry("ca", ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (client != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(file(client + ".p12"))) {
                    keys.load(in, P12_PASSWORD.toCharArray());
                }
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, P12_PASSWORD.toCharArray());
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code openssl args...} in the directory; fails with its output if it fails. */
    public void openssl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run openssl (is it installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void ca(String name, String cn) {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".crt",
                "-days", "2", "-subj", "/CN=" + cn);
    }

    private void signed(String name, String cn, String ca, boolean server) {
        // Servers get RSA keys and clients EC keys, so both kinds of key are read.
        List<String> key = server ? List.of("-newkey", "rsa:2048")
                : List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1");
        List<String> req = new ArrayList<>(List.of("req"));
        req.addAll(key);
        req.addAll(List.of("-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn));
        openssl(req.toArray(new String[0]));
        List<String> args = new ArrayList<>(List.of("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey",
                ca + ".key", "-CAcreateserial", "-out", name + ".crt", "-days", "2"));
        if (server) {
            args.addAll(List.of("-extfile", "san.ext"));
        }
        openssl(args.toArray(new String[0]));
    }

    private void p12(String name) {
        openssl("pkcs12", "-export", "-in", name + ".crt", "-inkey", name + ".key", "-out", name + ".p12", "-passout",
                "pass:" + P12_PASSWORD);
    }

    /** Removes the directory. */
    @Override
    public void close() {
        TempDirs.delete(dir);
    }
}
