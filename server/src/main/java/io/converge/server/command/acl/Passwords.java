package io.converge.server.command.acl;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Password hashing as Redis's ACLs do it (SHA-256 in lower-case hex), hash syntax, and ACL GENPASS. */
final class Passwords {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Passwords() {}

    /** The SHA-256 of {@code cleartext}, 64 lower-case hex digits. */
    static String hash(byte[] cleartext) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cleartext));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }

    /** Whether {@code text} is a valid hash for {@code #}/{@code !}: exactly 64 chars of 0-9 a-f. */
    static boolean isHash(String text) {
        if (text.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = text.charAt(i);
            if ((c < 'a' || c > 'f') && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }

    /** Whether the two hashes are equal, in a time that does not depend on where they differ. */
    static boolean sameHash(String a, String b) {
        return MessageDigest.isEqual(AclText.bytes(a), AclText.bytes(b));
    }

    /** {@code chars} random lower-case hex digits (ACL GENPASS). */
    static String random(int chars) {
        byte[] bytes = new byte[(chars + 1) / 2];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes).substring(0, chars);
    }
}
