package io.converge.server.protocol;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits an inline request line into arguments with the rules of Redis's {@code sdssplitargs}.
 *
 * <p>Arguments are separated by whitespace. {@code "double quoted"} arguments understand the
 * escapes {@code \n \r \t \b \a \\ \"} and {@code \xHH}; {@code 'single quoted'} arguments
 * understand only {@code \'}. A closing quote must be followed by whitespace or the end of the
 * line, and a quote opened in the middle of a word continues that word. A NUL byte ends the line,
 * as it ends Redis's C string.
 */
public final class InlineSplitter {
    private InlineSplitter() {}

    /** Returns the arguments, an empty array for a blank line, or null for unbalanced quotes. */
    public static byte[][] split(byte[] line) {
        List<byte[]> out = new ArrayList<>(4);
        int p = 0;
        int n = line.length;
        ByteArrayOutputStream current = new ByteArrayOutputStream();
        while (true) {
            while (p < n && line[p] != 0 && isSpace(line[p])) {
                p++;
            }
            if (p >= n || line[p] == 0) {
                return out.toArray(new byte[0][]);
            }
            boolean inDouble = false;
            boolean inSingle = false;
            boolean done = false;
            current.reset();
            while (!done) {
                byte c = p < n ? line[p] : 0;
                if (inDouble) {
                    if (c == '\\' && at(line, p + 1) == 'x' && isHex(at(line, p + 2)) && isHex(at(line, p + 3))) {
                        current.write(hexValue(line[p + 2]) * 16 + hexValue(line[p + 3]));
                        p += 3;
                    } else if (c == '\\' && at(line, p + 1) != 0) {
                        p++;
                        byte e = line[p];
                        current.write(switch (e) {
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            case 't' -> '\t';
                            case 'b' -> '\b';
                            case 'a' -> 7;
                            default -> e;
                        });
                    } else if (c == '"') {
                        byte next = at(line, p + 1);
                        if (next != 0 && !isSpace(next)) {
                            return null;
                        }
                        done = true;
                    } else if (c == 0) {
                        return null;
                    } else {
                        current.write(c);
                    }
                } else if (inSingle) {
                    if (c == '\\' && at(line, p + 1) == '\'') {
                        p++;
                        current.write('\'');
                    } else if (c == '\'') {
                        byte next = at(line, p + 1);
                        if (next != 0 && !isSpace(next)) {
                            return null;
                        }
                        done = true;
                    } else if (c == 0) {
                        return null;
                    } else {
                        current.write(c);
                    }
                } else {
                    switch (c) {
                        case ' ', '\n', '\r', '\t', 0 -> done = true;
                        case '"' -> inDouble = true;
                        case '\'' -> inSingle = true;
                        default -> current.write(c);
                    }
                }
                if (c != 0) {
                    p++;
                }
            }
            out.add(current.toByteArray());
        }
    }

    private static byte at(byte[] line, int i) {
        return i < line.length ? line[i] : 0;
    }

    /** C's isspace in the "C" locale. */
    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0b || c == '\f';
    }

    private static boolean isHex(byte c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static int hexValue(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return c - 'A' + 10;
    }
}
