package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code redis-benchmark} program against one port and parses its CSV output.
 * A run that fails (server error reply, no connection, timeout) gives a failed
 * {@link BenchmarkOutcome} instead of throwing, so the rest of a comparison still runs.
 */
public final class RedisBenchmark {
    private final String binary;
    private final Duration timeout;
    private final Path workDir;
    private final Cleanup cleanup;

    /**
     * @param binary  path or name (looked up on PATH) of redis-benchmark
     * @param timeout longest one invocation may take before it is killed
     * @param workDir where its output files go
     * @param cleanup registers the running process so Ctrl-C stops it
     */
    public RedisBenchmark(String binary, Duration timeout, Path workDir, Cleanup cleanup) {
        this.binary = binary;
        this.timeout = timeout;
        this.workDir = workDir;
        this.cleanup = cleanup;
    }

    /**
     * The script of the {@code evalsha} test: the rate-limiter pattern (INCR, then EXPIRE), run by
     * its SHA1 after a SCRIPT LOAD.
     */
    static final String EVALSHA_SCRIPT = "redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], ARGV[1]) return 1";

    /** The command line for one run against 127.0.0.1:port. */
    public List<String> command(int port, BenchmarkRun run) {
        List<String> command = new ArrayList<>(List.of(binary, "-h", "127.0.0.1", "-p", Integer.toString(port),
                "-c", Integer.toString(run.clients()), "-n", Integer.toString(run.requests()),
                "-P", Integer.toString(run.pipeline()), "-r", Integer.toString(run.keyspace()), "--csv"));
        List<String> custom = customCommand(run.test());
        if (custom == null) {
            command.addAll(List.of("-t", run.test()));
        } else {
            command.addAll(custom);
        }
        return command;
    }

    /** The command sent for a test redis-benchmark has no {@code -t} name for, or null. */
    static List<String> customCommand(String test) {
        return switch (test) {
            case "evalsha" -> List.of("EVALSHA", sha1hex(EVALSHA_SCRIPT), "1", "ratelimit:__rand_int__", "60");
            default -> null;
        };
    }

    /** Prepares the server on {@code port} for a custom test (loads the evalsha script). */
    private static void prepare(int port, String test) throws IOException {
        if (test.equals("evalsha")) {
            try (RespConnection c = RespConnection.open("127.0.0.1", port, Duration.ofSeconds(10))) {
                Object reply = c.call("SCRIPT", "LOAD", EVALSHA_SCRIPT);
                if (reply instanceof RespConnection.ErrorReply e) {
                    throw new IOException("SCRIPT LOAD failed: " + e.message());
                }
            }
        }
    }

    static String sha1hex(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one benchmark and returns its parsed rows or the reason it failed. */
    public BenchmarkOutcome run(int port, BenchmarkRun run) throws IOException {
        prepare(port, run.test());
        Path stdout = workDir.resolve("redis-benchmark.out");
        Path stderr = workDir.resolve("redis-benchmark.err");
        Process process = new ProcessBuilder(command(port, run))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        process.getOutputStream().close();
        AutoCloseable stopper = cleanup.register(process::destroyForcibly);
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return BenchmarkOutcome.failed("redis-benchmark timed out after " + timeout.toSeconds() + " s"
                        + hint(read(stderr)));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while redis-benchmark ran", e);
        } finally {
            cleanup.unregister(stopper);
        }
        List<BenchmarkRow> rows = BenchmarkCsv.parse(read(stdout));
        if (process.exitValue() != 0 || rows.isEmpty()) {
            return BenchmarkOutcome.failed("redis-benchmark exited with code " + process.exitValue()
                    + hint(read(stderr)));
        }
        if (customCommand(run.test()) != null) {
            // redis-benchmark names a custom command's row by the whole command line
            rows = rows.stream().map(r -> new BenchmarkRow(run.test(), r.rps(), r.avgMs(), r.minMs(), r.p50Ms(),
                    r.p95Ms(), r.p99Ms(), r.maxMs())).toList();
        }
        return BenchmarkOutcome.ok(rows);
    }

    /** The most telling line of redis-benchmark's error output, skipping its CONFIG warning. */
    static String hint(String stderr) {
        String fallback = null;
        for (String line : stderr.split("\\R")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("WARNING: Could not fetch server CONFIG")) {
                continue;
            }
            if (trimmed.startsWith("Error") || trimmed.contains("ERR")) {
                return ": " + trimmed;
            }
            if (fallback == null) {
                fallback = trimmed;
            }
        }
        return fallback == null ? "" : ": " + fallback;
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }
}
