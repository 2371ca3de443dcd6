package io.converge.server.config;

import java.util.Locale;

/**
 * The TLS keys of the configuration that shape a TLS context (Redis 7.0's names and meaning;
 * see {@link ConfigKeys}). Two equal instances build the same context, so a CONFIG SET that
 * leaves this record unchanged never reloads one. Empty strings stand for "not set".
 *
 * @param certFile PEM certificate chain the node presents ({@code tls-cert-file})
 * @param keyFile PEM private key of that certificate ({@code tls-key-file})
 * @param keyFilePass password of an encrypted {@link #keyFile} ({@code tls-key-file-pass})
 * @param clientCertFile certificate the node presents when it dials a peer ({@code tls-client-cert-file}; empty: {@link #certFile})
 * @param clientKeyFile private key of {@link #clientCertFile} ({@code tls-client-key-file})
 * @param clientKeyFilePass password of an encrypted {@link #clientKeyFile} ({@code tls-client-key-file-pass})
 * @param caCertFile PEM file of the CA certificates that verify peers' certificates ({@code tls-ca-cert-file})
 * @param caCertDir directory of PEM CA certificates ({@code tls-ca-cert-dir})
 * @param authClients whether clients must present a certificate ({@code tls-auth-clients})
 * @param protocols space-separated protocol names; empty: TLSv1.2 and TLSv1.3 ({@code tls-protocols})
 * @param ciphers TLSv1.2 cipher suites, colon-separated; empty: the JDK's defaults ({@code tls-ciphers})
 * @param ciphersuites TLSv1.3 cipher suites, colon-separated; empty: the JDK's defaults ({@code tls-ciphersuites})
 * @param preferServerCiphers whether the server's cipher order wins over the client's ({@code tls-prefer-server-ciphers})
 * @param sessionCaching whether sessions may be resumed ({@code tls-session-caching})
 * @param sessionCacheSize sessions the server caches ({@code tls-session-cache-size})
 * @param sessionCacheTimeout seconds a cached session stays resumable ({@code tls-session-cache-timeout})
 */
public record TlsOptions(String certFile, String keyFile, String keyFilePass, String clientCertFile, String clientKeyFile,
                         String clientKeyFilePass, String caCertFile, String caCertDir, AuthClients authClients,
                         String protocols, String ciphers, String ciphersuites, boolean preferServerCiphers,
                         boolean sessionCaching, int sessionCacheSize, int sessionCacheTimeout) {

    /** {@code tls-auth-clients}: yes (a client certificate is required), optional (verified if sent), no (not asked for). */
    public enum AuthClients {
        /** A client must present a certificate the CA signed. */
        YES,
        /** A client may present one; if it does, the CA must have signed it. */
        OPTIONAL,
        /** No client certificate is asked for. */
        NO;

        /** The name as in the configuration ("yes", "optional", "no"). */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
