package io.converge.server.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Reads the PEM files Redis's TLS keys name: certificate chains, CA bundles and directories, and
 * private keys (PKCS#8, encrypted PKCS#8, and PKCS#1 RSA keys as OpenSSL 1.x writes them).
 * Each failure is an {@link IOException} whose message says what is wrong with which file.
 */
final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);
    /** The key algorithms a PKCS#8 key is tried as (the DER names the algorithm, the JDK needs it named). */
    private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA"};

    private PemFiles() {}

    /** The certificates in {@code file}, in file order (a chain: the node's own first). */
    static List<X509Certificate> certificates(Path file) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": not a PEM certificate file (" + e.getMessage() + ")", e);
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no certificate in it");
        }
        return out;
    }

    /**
     * The certificates of every file in {@code dir} that holds PEM certificates (OpenSSL's
     * {@code c_rehash} layout, or any names); files that hold none are skipped.
     */
    static List<X509Certificate> certificateDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": not a directory");
        }
        List<X509Certificate> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                if (Files.isRegularFile(f) && Files.readString(f, StandardCharsets.ISO_8859_1).contains("-----BEGIN CERTIFICATE-----")) {
                    out.addAll(certificates(f));
                }
            }
        }
        if (out.isEmpty()) {
            throw new IOException(dir + ": no PEM certificate in the directory");
        }
        return out;
    }

    /** The private key in {@code file}, decrypted with {@code password} (empty: not encrypted). */
    static PrivateKey privateKey(Path file, String password) throws IOException {
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (!type.endsWith("PRIVATE KEY")) {
                continue;
            }
            if (m.group(2).contains("Proc-Type:")) {
                throw new IOException(file + ": a key encrypted in OpenSSL's legacy PEM format is not supported;"
                        + " convert it with 'openssl pkcs8 -topk8'");
            }
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": the key is not valid base64");
            }
            try {
                return switch (type) {
                    case "PRIVATE KEY" -> pkcs8(der, file);
                    case "ENCRYPTED PRIVATE KEY" -> encrypted(der, password, file);
                    case "RSA PRIVATE KEY" -> KeyFactory.getInstance("RSA").generatePrivate(
                            new PKCS8EncodedKeySpec(wrapPkcs1Rsa(der)));
                    default -> throw new IOException(file + ": " + type + " keys are not supported;"
                            + " convert the key to PKCS#8 with 'openssl pkcs8 -topk8 -nocrypt'");
                };
            } catch (GeneralSecurityException e) {
                throw new IOException(file + ": cannot read the private key (" + e.getMessage() + ")", e);
            }
        }
        throw new IOException(file + ": no PEM private key in it");
    }

    private static PrivateKey pkcs8(byte[] der, Path file) throws IOException {
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm: try the next
            }
        }
        throw new IOException(file + ": the private key's algorithm is not supported");
    }

    private static PrivateKey encrypted(byte[] der, String password, Path file)
            throws IOException, GeneralSecurityException {
        if (password.isEmpty()) {
            throw new IOException(file + ": the private key is encrypted and no password is configured");
        }
        EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(der);
        PKCS8EncodedKeySpec spec;
        try {
            SecretKeyFactory factory = SecretKeyFactory.getInstance(info.getAlgName());
            spec = info.getKeySpec(factory.generateSecret(new PBEKeySpec(password.toCharArray())));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": cannot decrypt the private key (wrong password?)", e);
        }
        return pkcs8(spec.getEncoded(), file);
    }

    /**
     * Wraps a PKCS#1 RSAPrivateKey in the PKCS#8 PrivateKeyInfo the JDK reads:
     * {@code SEQUENCE { INTEGER 0, SEQUENCE { OID rsaEncryption, NULL }, OCTET STRING pkcs1 }}.
     */
    static byte[] wrapPkcs1Rsa(byte[] pkcs1) {
        byte[] version = {0x02, 0x01, 0x00};
        byte[] algorithm = {0x30, 0x0D, 0x06, 0x09, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x01,
            0x01, 0x05, 0x00};
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(version);
        body.writeBytes(algorithm);
        body.write(0x04);
        body.writeBytes(derLength(pkcs1.length));
        body.writeBytes(pkcs1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        out.writeBytes(derLength(body.size()));
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    /** A DER length: one byte below 128, else 0x80 + the count of big-endian length bytes, then those. */
    private static byte[] derLength(int length) {
        if (length < 0x80) {
            return new byte[] {(byte) length};
        }
        int bytes = length > 0xFFFFFF ? 4 : length > 0xFFFF ? 3 : length > 0xFF ? 2 : 1;
        byte[] out = new byte[bytes + 1];
        out[0] = (byte) (0x80 | bytes);
        for (int i = bytes; i >= 1; i--) {
            out[i] = (byte) length;
            length >>>= 8;
        }
        return out;
    }
}
