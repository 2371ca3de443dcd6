package io.converge.server.cluster.wire;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mutual challenge–response authentication of peers with the shared cluster secret.
 *
 * <p>Both sides contribute a fresh 32-byte random nonce; each proves knowledge of the secret
 * with {@code HMAC-SHA256(secret, label | role | cluster | dialerId | acceptorId | dialerNonce |
 * acceptorNonce)}. The role byte differs for the two proofs, so a proof cannot be reflected back
 * to its sender; fresh nonces on both sides make every session's proofs unique, so a recorded
 * handshake cannot be replayed; the secret itself never leaves the node. Proofs are compared in
 * constant time.
 *
 * <p>This authenticates membership; it does not encrypt traffic (run peers on a private
 * network, or add TLS at the transport).
 */
public final class PeerAuth {

    /** Which side of the handshake a proof comes from. */
    public enum Role {
        /** The node that opened the connection. */
        DIALER,
        /** The node that accepted it. */
        ACCEPTOR
    }

    private static final byte[] LABEL = "converge-peer-auth-v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    /** Authenticator for a cluster secret. */
    public PeerAuth(String secret) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("the cluster secret must not be empty");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    /** A fresh random nonce. */
    public static byte[] newNonce() {
        byte[] nonce = new byte[PeerCodec.NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** The proof {@code role} sends for this session. */
    public byte[] proof(Role role, String clusterName, int dialerId, int acceptorId, byte[] dialerNonce,
                        byte[] acceptorNonce) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(LABEL);
            mac.update((byte) role.ordinal());
            byte[] name = clusterName.getBytes(StandardCharsets.UTF_8);
            mac.update(intBytes(name.length));
            mac.update(name);
            mac.update(intBytes(dialerId));
            mac.update(intBytes(acceptorId));
            mac.update(dialerNonce);
            mac.update(acceptorNonce);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** Whether {@code presented} is the proof {@code role} should have sent (constant-time comparison). */
    public boolean verify(byte[] presented, Role role, String clusterName, int dialerId, int acceptorId,
                          byte[] dialerNonce, byte[] acceptorNonce) {
        byte[] expected = proof(role, clusterName, dialerId, acceptorId, dialerNonce, acceptorNonce);
        return MessageDigest.isEqual(expected, presented);
    }

    private static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
