package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Reads how much memory a server uses: {@code used_memory} from {@code INFO memory} (what the
 * server says its data takes) and the resident set size from {@code /proc/<pid>/status} (what
 * the operating system sees). For a JVM, {@link #forceGc} first runs a full GC through
 * {@code jcmd} so garbage does not count as used.
 */
public final class MemoryProbe {
    private MemoryProbe() {}

    /** {@code used_memory} from INFO memory, or empty when the server does not report it. */
    public static OptionalLong usedMemory(ServerProcess server) throws IOException {
        try (RespConnection connection = server.connect(Duration.ofSeconds(30))) {
            Object reply = connection.call("INFO", "memory");
            return reply instanceof String info ? infoField(info, "used_memory") : OptionalLong.empty();
        }
    }

    /** A numeric field of an INFO reply ({@code name:value} lines), or empty. */
    static OptionalLong infoField(String info, String name) {
        for (String line : info.split("\\R")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).equals(name)) {
                try {
                    return OptionalLong.of(Long.parseLong(line.substring(colon + 1).trim()));
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    /** DBSIZE, or empty when the server does not support it. */
    public static OptionalLong dbSize(ServerProcess server) throws IOException {
        try (RespConnection connection = server.connect(Duration.ofSeconds(30))) {
            return connection.call("DBSIZE") instanceof Long size ? OptionalLong.of(size) : OptionalLong.empty();
        }
    }

    /** Resident set size in bytes (VmRSS), or empty where /proc is not available. */
    public static OptionalLong residentBytes(long pid) {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        try {
            for (String line : Files.readAllLines(status, StandardCharsets.UTF_8)) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring("VmRSS:".length()).trim().split("\\s+");
                    return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    /** Whether the process is a JVM (its executable is named {@code java}). */
    public static boolean isJvm(long pid) {
        return javaExecutable(pid).isPresent();
    }

    /**
     * Runs a full GC in the JVM with this pid ({@code jcmd <pid> GC.run}, with the jcmd next to that
     * JVM's java, else next to ours). Returns null when it worked, else why not.
     */
    public static String forceGc(long pid) {
        Path jcmd = javaExecutable(pid).map(java -> java.resolveSibling("jcmd"))
                .filter(Files::isExecutable)
                .orElse(Path.of(System.getProperty("java.home"), "bin", "jcmd"));
        if (!Files.isExecutable(jcmd)) {
            return "no jcmd found at " + jcmd;
        }
        try {
            Process process = new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), "GC.run"))
                    .redirectErrorStream(true).start();
            process.getOutputStream().close();
            // jcmd prints a line or two, far less than a pipe buffer, so waiting before reading is safe.
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return "jcmd GC.run timed out";
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return process.exitValue() == 0 ? null : "jcmd GC.run failed: " + output.strip();
        } catch (IOException e) {
            return "jcmd GC.run failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static Optional<Path> javaExecutable(long pid) {
        return ProcessHandle.of(pid)
                .flatMap(handle -> handle.info().command())
                .map(Path::of)
                .filter(path -> path.getFileName().toString().equals("java"));
    }
}
