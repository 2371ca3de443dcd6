package io.converge.server.command.acl;

import java.nio.charset.StandardCharsets;

/**
 * ACL text is bytes: user names, passwords and patterns come from arguments and may hold any
 * byte, as in Redis. They are kept as ISO-8859-1 strings, whose chars are exactly those bytes, so
 * they convert back to the same bytes and compare in byte order.
 */
final class AclText {
    private AclText() {}

    /** The bytes as a string of the same length. */
    static String of(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** The string's bytes (each char is one byte). */
    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Whether {@code text} holds white space or a NUL, which Redis refuses in names and patterns. */
    static boolean hasSpaces(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == '\f' || c == 0) {
                return true;
            }
        }
        return false;
    }
}
