package io.converge.server.tls;

import io.converge.server.config.ConfigException;
import io.converge.server.config.TlsOptions;
import io.netty.handler.ssl.CipherSuiteConverter;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;

/**
 * Builds Netty TLS contexts (the JDK's TLS implementation) from {@link TlsOptions}, checking
 * what Redis checks: a certificate, its key and a CA are required, protocol and cipher names must
 * be known. Every failure is a {@link ConfigException} whose message names the key and file, with
 * Redis's log wording where Redis has one ("No tls-cert-file configured!").
 */
final class TlsContextFactory {
    /** Redis's complaint about an unknown protocol in tls-protocols. */
    static final String INVALID_PROTOCOLS = "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', "
            + "'TLSv1.2' and 'TLSv1.3'.";
    private static final List<String> PROTOCOLS = List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");
    /** A session that must not be resumed (tls-session-caching no) expires after one second. */
    private static final int NO_CACHING_TIMEOUT = 1;

    private TlsContextFactory() {}

    /** The context of the node's TLS listener: its certificate, the CA that verifies clients, tls-auth-clients. */
    static SslContext server(TlsOptions o) {
        return server(o, clientAuth(o.authClients()));
    }

    /** A server context like {@link #server(TlsOptions)} that always requires a certificate (peer links). */
    static SslContext peerServer(TlsOptions o) {
        return server(o, ClientAuth.REQUIRE);
    }

    private static SslContext server(TlsOptions o, ClientAuth auth) {
        require(o);
        PrivateKey key = key(o.keyFile(), o.keyFilePass(), "tls-key-file");
        X509Certificate[] chain = chain(o.certFile(), "tls-cert-file");
        checkPair(key, chain[0], "tls-key-file", "tls-cert-file");
        SslContextBuilder b = SslContextBuilder.forServer(key, chain).clientAuth(auth);
        return build(common(b, o), "server");
    }

    /**
     * The context of connections the node dials (peer links): presents tls-client-cert-file (or
     * tls-cert-file), verifies the peer's chain against the CA, and, as Redis, not its host name.
     */
    static SslContext client(TlsOptions o) {
        require(o);
        boolean own = !o.clientCertFile().isEmpty();
        if (own && o.clientKeyFile().isEmpty()) {
            throw new ConfigException("No tls-client-key-file configured!");
        }
        PrivateKey key = own ? key(o.clientKeyFile(), o.clientKeyFilePass(), "tls-client-key-file")
                : key(o.keyFile(), o.keyFilePass(), "tls-key-file");
        X509Certificate[] chain = own ? chain(o.clientCertFile(), "tls-client-cert-file") : chain(o.certFile(), "tls-cert-file");
        if (own) {
            checkPair(key, chain[0], "tls-client-key-file", "tls-client-cert-file");
        }
        SslContextBuilder b = SslContextBuilder.forClient().keyManager(key, chain).endpointIdentificationAlgorithm(null);
        return build(common(b, o), "client");
    }

    private static void require(TlsOptions o) {
        if (o.certFile().isEmpty()) {
            throw new ConfigException("No tls-cert-file configured!");
        }
        if (o.keyFile().isEmpty()) {
            throw new ConfigException("No tls-key-file configured!");
        }
        if (o.caCertFile().isEmpty() && o.caCertDir().isEmpty()) {
            throw new ConfigException("Either tls-ca-cert-file or tls-ca-cert-dir must be specified");
        }
    }

    /** What the server and client contexts share: the CA, protocols, ciphers, session cache. */
    private static SslContextBuilder common(SslContextBuilder b, TlsOptions o) {
        b.sslProvider(SslProvider.JDK)
                .trustManager(trustManager(trustedCertificates(o)))
                .protocols(protocols(o.protocols()))
                .sessionCacheSize(o.sessionCaching() ? o.sessionCacheSize() : 1)
                .sessionTimeout(o.sessionCaching() ? o.sessionCacheTimeout() : NO_CACHING_TIMEOUT);
        List<String> ciphers = ciphers(o.ciphers(), o.ciphersuites());
        if (ciphers != null) {
            b.ciphers(ciphers, IdentityCipherSuiteFilter.INSTANCE);
        }
        return b;
    }

    private static SslContext build(SslContextBuilder b, String what) {
        try {
            return b.build();
        } catch (SSLException | RuntimeException e) {
            throw new ConfigException("cannot build the TLS " + what + " context: " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> trustedCertificates(TlsOptions o) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            if (!o.caCertFile().isEmpty()) {
                out.addAll(PemFiles.certificates(Path.of(o.caCertFile())));
            }
            if (!o.caCertDir().isEmpty()) {
                out.addAll(PemFiles.certificateDir(Path.of(o.caCertDir())));
            }
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("Failed to configure CA certificate(s) file/directory: " + reason(e), e);
        }
        return out;
    }

    private static TrustManager trustManager(List<X509Certificate> cas) {
        try {
            return UnhintedTrustManager.of(cas);
        } catch (GeneralSecurityException e) {
            throw new ConfigException("Failed to configure CA certificate(s) file/directory: " + e.getMessage(), e);
        }
    }

    private static X509Certificate[] chain(String file, String keyName) {
        try {
            return PemFiles.certificates(Path.of(file)).toArray(new X509Certificate[0]);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("Failed to load certificate (" + keyName + "): " + reason(e), e);
        }
    }

    private static PrivateKey key(String file, String password, String keyName) {
        try {
            return PemFiles.privateKey(Path.of(file), password);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("Failed to load private key (" + keyName + "): " + reason(e), e);
        }
    }

    /**
     * Checks that {@code key} belongs to {@code cert} (OpenSSL's check when Redis loads them): a
     * test message signed with the key must verify with the certificate's public key.
     */
    private static void checkPair(PrivateKey key, X509Certificate cert, String keyName, String certName) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
            default -> null; // RSASSA-PSS and others: left to the handshake
        };
        if (algorithm == null) {
            return;
        }
        boolean matches;
        try {
            byte[] probe = "converge key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false; // e.g. an EC key with an RSA certificate
        }
        if (!matches) {
            throw new ConfigException("Failed to load private key (" + keyName + "): it does not match the certificate in "
                    + certName);
        }
    }

    /** tls-protocols as JDK protocol names: Redis's names, any case; empty means TLSv1.2 and TLSv1.3. */
    static String[] protocols(String text) {
        if (text.isBlank()) {
            return new String[] {"TLSv1.2", "TLSv1.3"};
        }
        Set<String> out = new LinkedHashSet<>();
        for (String word : text.trim().split("\\s+")) {
            String name = PROTOCOLS.stream().filter(p -> p.equalsIgnoreCase(word)).findFirst()
                    .orElseThrow(() -> new ConfigException(INVALID_PROTOCOLS));
            out.add(name);
        }
        return out.toArray(new String[0]);
    }

    /**
     * The cipher suites to enable, or null for the JDK's defaults: tls-ciphers (TLSv1.2 suites) and
     * tls-ciphersuites (TLSv1.3 suites) each replace the JDK's default suites of their version
     * only, as OpenSSL treats its two lists.
     */
    static List<String> ciphers(String tls12, String tls13) {
        if (tls12.isBlank() && tls13.isBlank()) {
            return null;
        }
        String[] defaults;
        Set<String> supported;
        try {
            SSLContext jdk = SSLContext.getDefault();
            defaults = jdk.getDefaultSSLParameters().getCipherSuites();
            supported = Set.of(jdk.getSupportedSSLParameters().getCipherSuites());
        } catch (NoSuchAlgorithmException e) {
            throw new ConfigException("the JDK has no TLS implementation: " + e.getMessage(), e);
        }
        List<String> out = new ArrayList<>();
        if (tls12.isBlank()) {
            Arrays.stream(defaults).filter(s -> !tls13Suite(s)).forEach(out::add);
        } else {
            out.addAll(suites(tls12, "tls-ciphers", supported));
        }
        if (tls13.isBlank()) {
            Arrays.stream(defaults).filter(TlsContextFactory::tls13Suite).forEach(out::add);
        } else {
            out.addAll(suites(tls13, "tls-ciphersuites", supported));
        }
        return out;
    }

    private static List<String> suites(String text, String keyName, Set<String> supported) {
        List<String> out = new ArrayList<>();
        for (String name : text.trim().split("[:\\s,]+")) {
            String upper = name.toUpperCase(Locale.ROOT);
            String java = upper.startsWith("TLS_") || upper.startsWith("SSL_") ? upper : CipherSuiteConverter.toJava(name, "TLS");
            if (java == null || !supported.contains(java)) {
                throw new ConfigException(keyName + ": unknown or unsupported cipher suite '" + name + "'");
            }
            out.add(java);
        }
        return out;
    }

    /** TLSv1.3's suites name no key exchange: TLS_AES_..., TLS_CHACHA20_POLY1305_SHA256. */
    private static boolean tls13Suite(String name) {
        return name.startsWith("TLS_AES_") || name.startsWith("TLS_CHACHA20_");
    }

    private static ClientAuth clientAuth(TlsOptions.AuthClients a) {
        return switch (a) {
            case YES -> ClientAuth.REQUIRE;
            case OPTIONAL -> ClientAuth.OPTIONAL;
            case NO -> ClientAuth.NONE;
        };
    }

    private static String reason(Exception e) {
        if (e instanceof NoSuchFileException missing) {
            return missing.getFile() + ": No such file or directory";
        }
        if (e instanceof AccessDeniedException denied) {
            return denied.getFile() + ": Permission denied";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
