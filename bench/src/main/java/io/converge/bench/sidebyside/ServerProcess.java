package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One server process under test (a redis-server, a Converge node): started with its output in a
 * log file, ready once it answers PING, stopped gently (SIGTERM) then forcibly after a timeout.
 */
public final class ServerProcess implements AutoCloseable {
    /** How long a stopping server gets to exit on SIGTERM before it is killed. */
    static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final String HOST = "127.0.0.1";

    private final String name;
    private final String commandLine;
    private final int port;
    private final Path logFile;
    private final Process process;

    private ServerProcess(String name, String commandLine, int port, Path logFile, Process process) {
        this.name = name;
        this.commandLine = commandLine;
        this.port = port;
        this.logFile = logFile;
        this.process = process;
    }

    /**
     * Starts {@code command}, which must make the server listen on {@code port}, and returns at
     * once; call {@link #awaitReady} next.
     */
    public static ServerProcess launch(String name, List<String> command, String commandLine, int port,
                                       Path logFile) throws IOException {
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile())
                .start();
        process.getOutputStream().close();
        return new ServerProcess(name, commandLine, port, logFile, process);
    }

    /**
     * Waits until the server answers PING. Throws, with the end of its log, if it exits first or
     * is not ready within {@code timeout}; the caller then stops it.
     */
    public void awaitReady(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastProblem = "no answer yet";
        while (true) {
            if (!process.isAlive()) {
                throw new ServerStartException(name + " exited with code " + process.exitValue()
                        + " before answering PING (command: " + commandLine + ")\n" + logTail(20),
                        logTail(20));
            }
            try (RespConnection connection = RespConnection.open(HOST, port, Duration.ofSeconds(2))) {
                Object reply = connection.call("PING");
                if ("PONG".equals(reply)) {
                    return;
                }
                lastProblem = "PING answered " + reply;
            } catch (IOException e) {
                lastProblem = e.toString();
            }
            if (System.nanoTime() > deadline) {
                throw new ServerStartException(name + " did not answer PING on port " + port + " within "
                        + timeout.toSeconds() + " s (" + lastProblem + "; command: " + commandLine + ")\n"
                        + logTail(20), logTail(20));
            }
            sleep(50);
        }
    }

    /** Thrown when a server exits or stays silent while starting; carries the end of its log. */
    public static final class ServerStartException extends IOException {
        private final String logTail;

        ServerStartException(String message, String logTail) {
            super(message);
            this.logTail = logTail;
        }

        /** The last lines the server printed. */
        public String logTail() {
            return logTail;
        }
    }

    /** The role of this server in the run ("redis", "converge"). */
    public String name() {
        return name;
    }

    /** The command line it was started with, as shown to readers. */
    public String commandLine() {
        return commandLine;
    }

    /** The port it listens on (127.0.0.1). */
    public int port() {
        return port;
    }

    /** The operating-system process id. */
    public long pid() {
        return process.pid();
    }

    /** Whether the process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Where its standard output and error go. */
    public Path logFile() {
        return logFile;
    }

    /** Opens a new connection to it. */
    public RespConnection connect(Duration timeout) throws IOException {
        return RespConnection.open(HOST, port, timeout);
    }

    /** The last {@code lines} lines of its log, for error messages. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Kills it at once (SIGKILL, as {@code kill -9}) and waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops it: SIGTERM to it and its children, SIGKILL after {@link #STOP_GRACE}. Idempotent. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                System.err.println("converge bench: " + name + " (pid " + pid() + ") did not stop on SIGTERM; killing it");
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a server to start", e);
        }
    }
}
