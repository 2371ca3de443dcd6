package io.converge.bench.sidebyside;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal blocking RESP2 client over one socket, enough for the benchmark's own traffic
 * (PING, INFO, DBSIZE and pipelined SETs); redis-benchmark does the measured traffic.
 *
 * <p>Replies are returned as plain Java values: simple and bulk strings as {@link String},
 * integers as {@link Long}, arrays as {@link List}, nil as {@code null}, errors as
 * {@link ErrorReply}. Writing ({@link #writeCommand}) and reading ({@link #readReply}) may run
 * on two different threads, one each, which is how {@link KeyLoader} pipelines.
 */
public final class RespConnection implements AutoCloseable {
    private static final byte[] CRLF = {'\r', '\n'};

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final byte[] digits = new byte[20];

    /** An error reply ({@code -ERR ...}) sent by the server. */
    public record ErrorReply(String message) {}

    private RespConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
    }

    /** Connects to host:port; {@code timeout} bounds the connect and every later read. */
    public static RespConnection open(String host, int port, Duration timeout) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            return new RespConnection(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Sends one command and returns its reply. */
    public Object call(String... args) throws IOException {
        byte[][] encoded = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            encoded[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        writeCommand(encoded);
        flush();
        return readReply();
    }

    /** Buffers one command (a RESP array of bulk strings); call {@link #flush} to send. */
    public void writeCommand(byte[]... args) throws IOException {
        out.write('*');
        writeDecimal(args.length);
        for (byte[] arg : args) {
            out.write('$');
            writeDecimal(arg.length);
            out.write(arg);
            out.write(CRLF);
        }
    }

    /** Sends everything buffered so far. */
    public void flush() throws IOException {
        out.flush();
    }

    /** Reads one reply. */
    public Object readReply() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by the server");
        }
        String line = readLine();
        return switch (type) {
            case '+' -> line;
            case '-' -> new ErrorReply(line);
            case ':' -> Long.parseLong(line);
            case '$' -> readBulk(Integer.parseInt(line));
            case '*' -> readArray(Integer.parseInt(line));
            default -> throw new IOException("not a RESP2 reply: type byte '" + (char) type + "' then " + line);
        };
    }

    private String readBulk(int length) throws IOException {
        if (length < 0) {
            return null;
        }
        byte[] body = in.readNBytes(length);
        if (body.length < length || in.read() != '\r' || in.read() != '\n') {
            throw new EOFException("bulk string cut short");
        }
        return new String(body, StandardCharsets.UTF_8);
    }

    private List<Object> readArray(int count) throws IOException {
        if (count < 0) {
            return null;
        }
        List<Object> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            items.add(readReply());
        }
        return items;
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder(16);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed mid-reply");
            }
            if (b == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("malformed reply line: " + line);
                }
                return line.toString();
            }
            line.append((char) b);
        }
    }

    private void writeDecimal(int value) throws IOException {
        int pos = digits.length;
        do {
            digits[--pos] = (byte) ('0' + value % 10);
            value /= 10;
        } while (value > 0);
        out.write(digits, pos, digits.length - pos);
        out.write(CRLF);
    }

    /** Closes the socket from another thread, making a blocked {@link #readReply} fail at once. */
    public void abort() throws IOException {
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
