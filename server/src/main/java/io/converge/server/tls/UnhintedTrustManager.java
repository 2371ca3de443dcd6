package io.converge.server.tls;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK's certificate-path check against a set of CA certificates, except that it names no
 * acceptable issuers. The JDK server lists {@link #getAcceptedIssuers()} in its certificate
 * request, and a JDK client then withholds a certificate from another CA, so with
 * {@code tls-auth-clients optional} such a client would be let in without one. OpenSSL, as
 * Redis configures it, names none: the client presents its certificate whatever its issuer, and
 * an untrusted one is refused. This class gives Converge Redis's behaviour.
 */
final class UnhintedTrustManager extends X509ExtendedTrustManager {
    private static final X509Certificate[] NONE = new X509Certificate[0];
    private final X509ExtendedTrustManager delegate;

    private UnhintedTrustManager(X509ExtendedTrustManager delegate) {
        this.delegate = delegate;
    }

    /** A trust manager that accepts the chains leading to one of {@code cas}. */
    static TrustManager of(List<X509Certificate> cas) throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        for (int i = 0; i < cas.size(); i++) {
            store.setCertificateEntry("ca-" + i, cas.get(i));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        for (TrustManager tm : factory.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x509) {
                return new UnhintedTrustManager(x509);
            }
        }
        throw new GeneralSecurityException("the JDK offers no X.509 trust manager");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        delegate.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        delegate.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkServerTrusted(chain, authType);
    }

    /** None: see the class comment. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NONE;
    }
}
