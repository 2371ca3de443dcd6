package io.converge.server.scripting;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte array for the encoders of the script libraries. */
final class ByteOutput {
    private byte[] buf = new byte[64];
    private int len;

    void write(int b) {
        if (len == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
        }
        buf[len++] = (byte) b;
    }

    void write(byte[] b) {
        write(b, 0, b.length);
    }

    void write(byte[] b, int off, int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    void ascii(String s) {
        write(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** Writes {@code value} big-endian in {@code bytes} bytes. */
    void bigEndian(long value, int bytes) {
        for (int i = bytes - 1; i >= 0; i--) {
            write((int) (value >>> (8 * i)));
        }
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }
}
