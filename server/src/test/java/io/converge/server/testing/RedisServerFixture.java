package io.converge.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (from PATH) on a free port, the reference of the differential
 * tests: no persistence ({@code --save "" --appendonly no}), one database (so SELECT answers like
 * Converge), its files in a temporary directory. Stop it with {@link #close()}.
 *
 * <pre>{@code
 * try (RedisServerFixture redis = RedisServerFixture.start("--requirepass", "secret")) { ... }
 * }</pre>
 */
public final class RedisServerFixture implements ServerTarget {
    private final Process process;
    private final int port;
    private final Path dir;

    private RedisServerFixture(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /** Starts redis-server with the standard test options plus {@code extraArgs}. */
    public static RedisServerFixture start(String... extraArgs) {
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = FreePorts.find();
            Path dir;
            try {
                dir = Files.createTempDirectory("redis-fixture");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port),
                    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--databases", "1",
                    "--daemonize", "no", "--dir", dir.toString(), "--logfile", dir.resolve("redis.log").toString()));
            cmd.addAll(Arrays.asList(extraArgs));
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("stdout.log").toFile()).start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot run redis-server (is it installed and on PATH?)", e);
            }
            RedisServerFixture fixture = new RedisServerFixture(p, port, dir);
            try {
                fixture.awaitReady();
                return fixture;
            } catch (IOException e) {
                last = e;
                fixture.close(); // port taken meanwhile, or slow start: try another port
            }
        }
        throw new IllegalStateException("redis-server did not start", last);
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("redis-server exited: " + log());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                s.setSoTimeout(1000);
                OutputStream out = s.getOutputStream();
                out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                int first = in.read();
                if (first == '+' || first == '-') {
                    return; // +PONG, or -NOAUTH when a password is set: it is serving
                }
            } catch (IOException e) {
                // not listening yet
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        throw new IOException("redis-server not ready after 10 s: " + log());
    }

    private String log() {
        try {
            Path log = dir.resolve("redis.log");
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public boolean isRedis() {
        return true;
    }

    /** Stops redis-server and removes its directory. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        TempDirs.delete(dir);
    }

    @Override
    public String toString() {
        return "redis-server:" + port;
    }
}
