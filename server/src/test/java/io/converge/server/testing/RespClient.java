package io.converge.server.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal raw RESP2/RESP3 client for tests: sends commands or arbitrary bytes and parses
 * replies into comparable values, so the same exchange with redis-server and Converge can be
 * asserted equal byte for byte in meaning.
 *
 * <p>Reply values: {@link Simple}, {@link Err}, {@link Long}, {@link Bulk}, {@link Null},
 * {@link List} (arrays), {@link RespMap}, {@link RespSet}, {@link Push}, {@link RespDouble},
 * {@link Boolean}, {@link BigNumber}, {@link Verbatim}. Bulk contents are kept as ISO-8859-1
 * strings, which preserves every byte.
 */
public final class RespClient implements AutoCloseable {
    /** {@code +text}. */
    public record Simple(String text) {}

    /** {@code -CODE message}. */
    public record Err(String text) {}

    /** {@code $len} bulk string (bytes as ISO-8859-1). */
    public record Bulk(String text) {}

    /** The three nulls: {@code $-1}, {@code *-1} and RESP3 {@code _}. */
    public enum Null { BULK, ARRAY, RESP3 }

    /** RESP3 map, entries in order as k1, v1, k2, v2... */
    public record RespMap(List<Object> entries) {}

    /** RESP3 set. */
    public record RespSet(List<Object> items) {}

    /** RESP3 push. */
    public record Push(List<Object> items) {}

    /** RESP3 double, as sent. */
    public record RespDouble(String text) {}

    /** RESP3 big number, as sent. */
    public record BigNumber(String text) {}

    /** RESP3 verbatim string. */
    public record Verbatim(String format, String text) {}

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    /** Connects to {@code target} with a 5 s read timeout. */
    public RespClient(ServerTarget target) {
        this(target.host(), target.port());
    }

    /** Connects to host:port with a 5 s read timeout. */
    public RespClient(String host, int port) {
        try {
            socket = new Socket();
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setSoTimeout(5000);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a command as a multibulk and returns its reply. */
    public Object call(String... args) {
        send(encode(args));
        return read();
    }

    /** Sends a command with binary arguments and returns its reply. */
    public Object call(byte[]... args) {
        send(encode(args));
        return read();
    }

    /** Encodes a command as a RESP multibulk. */
    public static byte[] encode(String... args) {
        byte[][] raw = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            raw[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return encode(raw);
    }

    /** Encodes a command with binary arguments as a RESP multibulk. */
    public static byte[] encode(byte[]... args) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (byte[] a : args) {
            b.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(a);
            b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        return b.toByteArray();
    }

    /** Sends raw bytes. */
    public void send(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends raw text (ISO-8859-1). */
    public void send(String text) {
        send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads one reply. */
    public Object read() {
        try {
            return parse();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads {@code n} replies. */
    public List<Object> read(int n) {
        List<Object> replies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            replies.add(read());
        }
        return replies;
    }

    /**
     * Reads everything until the server closes the connection or {@code idleMillis} pass without
     * data; returns the bytes, followed by the marker {@code <CLOSED>} if the server closed.
     */
    public String readUntilClosedOrIdle(int idleMillis) {
        return readUntilClosedOrIdle(idleMillis, idleMillis);
    }

    /**
     * Like {@link #readUntilClosedOrIdle(int)}, waiting up to {@code firstMillis} for the first
     * byte and {@code idleMillis} between later ones.
     */
    public String readUntilClosedOrIdle(int firstMillis, int idleMillis) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            socket.setSoTimeout(firstMillis);
            byte[] buf = new byte[8192];
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                    socket.setSoTimeout(idleMillis);
                } catch (SocketTimeoutException e) {
                    return b.toString(StandardCharsets.ISO_8859_1);
                }
                if (n < 0) {
                    return b.toString(StandardCharsets.ISO_8859_1) + "<CLOSED>";
                }
                b.write(buf, 0, n);
            }
        } catch (IOException e) {
            // connection reset counts as closed
            return b.toString(StandardCharsets.ISO_8859_1) + "<CLOSED>";
        }
    }

    /** Whether the server closed the connection (waits up to {@code millis} for EOF). */
    public boolean isClosedByServer(int millis) {
        return readUntilClosedOrIdle(millis).endsWith("<CLOSED>");
    }

    private Object parse() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by server");
        }
        String line = readLine();
        switch (type) {
            case '+':
                return new Simple(line);
            case '-':
                return new Err(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int len = Integer.parseInt(line);
                if (len < 0) {
                    return Null.BULK;
                }
                return new Bulk(readBulk(len));
            }
            case '*': {
                int n = Integer.parseInt(line);
                if (n < 0) {
                    return Null.ARRAY;
                }
                return readItems(n);
            }
            case '%':
                return new RespMap(readItems(Integer.parseInt(line) * 2));
            case '~':
                return new RespSet(readItems(Integer.parseInt(line)));
            case '>':
                return new Push(readItems(Integer.parseInt(line)));
            case '_':
                return Null.RESP3;
            case ',':
                return new RespDouble(line);
            case '#':
                return line.equals("t");
            case '(':
                return new BigNumber(line);
            case '=': {
                String body = readBulk(Integer.parseInt(line));
                return new Verbatim(body.substring(0, 3), body.substring(4));
            }
            default:
                throw new IOException("unexpected reply type '" + (char) type + "' followed by " + line);
        }
    }

    private List<Object> readItems(int n) throws IOException {
        List<Object> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            items.add(parse());
        }
        return items;
    }

    private String readBulk(int len) throws IOException {
        byte[] data = in.readNBytes(len);
        if (data.length != len) {
            throw new EOFException("truncated bulk");
        }
        if (in.read() != '\r' || in.read() != '\n') {
            throw new IOException("bulk not terminated by CRLF");
        }
        return new String(data, StandardCharsets.ISO_8859_1);
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed inside a reply line");
            }
            if (c == '\r') {
                int n = in.read();
                if (n != '\n') {
                    throw new IOException("CR not followed by LF");
                }
                return b.toString(StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // ignore
        }
    }
}
