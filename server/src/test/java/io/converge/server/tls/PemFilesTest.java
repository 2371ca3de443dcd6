package io.converge.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.config.ConfigException;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The key and certificate formats the TLS keys accept, made by openssl, and the errors for the others. */
class PemFilesTest {
    private static TestCertificates certs;

    @BeforeAll
    static void create() {
        certs = TestCertificates.create();
        // the server's RSA key as OpenSSL 1.x wrote it (PKCS#1), encrypted as PKCS#8, and in the legacy encrypted form
        certs.openssl("rsa", "-in", "server.key", "-traditional", "-out", "server-pkcs1.key");
        certs.openssl("pkcs8", "-topk8", "-in", "server.key", "-v2", "aes-256-cbc", "-passout", "pass:s3cret",
                "-out", "server-enc.key");
        certs.openssl("rsa", "-in", "server.key", "-traditional", "-aes256", "-passout", "pass:s3cret",
                "-out", "server-legacy-enc.key");
    }

    @AfterAll
    static void remove() {
        certs.close();
    }

    @Test
    void readsPkcs8Pkcs1AndEncryptedKeysAlike() throws IOException {
        PrivateKey plain = PemFiles.privateKey(certs.file("server.key"), "");
        assertThat(plain).isInstanceOf(RSAPrivateCrtKey.class);
        assertThat(PemFiles.privateKey(certs.file("server-pkcs1.key"), "").getEncoded()).isEqualTo(plain.getEncoded());
        assertThat(PemFiles.privateKey(certs.file("server-enc.key"), "s3cret").getEncoded()).isEqualTo(plain.getEncoded());
        assertThat(PemFiles.privateKey(certs.file("client.key"), "").getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void explainsWhatItCannotRead() {
        assertThatThrownBy(() -> PemFiles.privateKey(certs.file("server-enc.key"), ""))
                .hasMessageContaining("encrypted and no password");
        assertThatThrownBy(() -> PemFiles.privateKey(certs.file("server-enc.key"), "wrong"))
                .hasMessageContaining("wrong password");
        assertThatThrownBy(() -> PemFiles.privateKey(certs.file("server-legacy-enc.key"), "s3cret"))
                .hasMessageContaining("openssl pkcs8 -topk8");
        assertThatThrownBy(() -> PemFiles.privateKey(certs.file("server.crt"), "")).hasMessageContaining("no PEM private key");
        assertThatThrownBy(() -> PemFiles.certificates(certs.file("server.key"))).hasMessageContaining("server.key");
        assertThatThrownBy(() -> PemFiles.certificateDir(certs.file("ca.crt"))).hasMessageContaining("not a directory");
    }

    @Test
    void readsAChainInFileOrder() throws IOException {
        Path chain = certs.file("chain.pem");
        Files.writeString(chain, Files.readString(certs.file("server.crt"))
                + Files.readString(certs.file("ca.crt")));
        assertThat(PemFiles.certificates(chain)).extracting(c -> c.getSubjectX500Principal().getName())
                .containsExactly("CN=converge-test-server-1", "CN=Converge Test CA");
    }

    @Test
    void contextsNeedACertificateAKeyThatMatchesItAndACa() {
        ConvergeConfig.Builder b = ConvergeConfig.builder().set("tls-cert-file", certs.path("server.crt"))
                .set("tls-key-file", certs.path("server-enc.key")).set("tls-key-file-pass", "s3cret")
                .set("tls-ca-cert-file", certs.path("ca.crt"));
        assertThat(TlsContextFactory.server(b.build().tls())).isNotNull();
        assertThat(TlsContextFactory.client(b.build().tls())).isNotNull();
        assertThatThrownBy(() -> TlsContextFactory.server(b.set("tls-key-file", certs.path("server2.key")).build().tls()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("does not match the certificate");
        assertThatThrownBy(() -> TlsContextFactory.server(b.set("tls-key-file", "").build().tls()))
                .hasMessage("No tls-key-file configured!");
        assertThatThrownBy(() -> TlsContextFactory.server(ConvergeConfig.builder().build().tls()))
                .hasMessage("No tls-cert-file configured!");
    }

    @Test
    void protocolAndCipherNames() {
        assertThat(TlsContextFactory.protocols("")).containsExactly("TLSv1.2", "TLSv1.3");
        assertThat(TlsContextFactory.protocols(" tlsv1.3  TLSv1.2 ")).containsExactly("TLSv1.3", "TLSv1.2");
        assertThatThrownBy(() -> TlsContextFactory.protocols("TLSv1.2 SSLv3"))
                .hasMessage(TlsContextFactory.INVALID_PROTOCOLS);
        assertThat(TlsContextFactory.ciphers("", "")).isNull();
        assertThat(TlsContextFactory.ciphers("ECDHE-RSA-AES256-GCM-SHA384", "TLS_AES_128_GCM_SHA256"))
                .containsExactly("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256");
        assertThat(TlsContextFactory.ciphers("", "TLS_AES_256_GCM_SHA384"))
                .contains("TLS_AES_256_GCM_SHA384").doesNotContain("TLS_AES_128_GCM_SHA256")
                .anyMatch(s -> s.startsWith("TLS_ECDHE_"));
        assertThatThrownBy(() -> TlsContextFactory.ciphers("HIGH:!aNULL", "")).hasMessageContaining("'HIGH'");
    }
}
