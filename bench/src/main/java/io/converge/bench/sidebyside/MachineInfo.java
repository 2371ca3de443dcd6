package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where and when a run happened, for the report: date, cores, CPU, memory, OS, and the versions
 * of Java, redis-server and redis-benchmark.
 */
public record MachineInfo(String date, int cores, String cpu, String memory, String os, String javaVersion,
                          String redisServer, String redisBenchmark) {

    /** Looks at this machine; the binaries are asked for {@code --version}. */
    public static MachineInfo probe(String redisServerBinary, String redisBenchmarkBinary) {
        return new MachineInfo(
                ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")),
                Runtime.getRuntime().availableProcessors(),
                procField("/proc/cpuinfo", "model name").orElse("unknown CPU"),
                procField("/proc/meminfo", "MemTotal").map(MachineInfo::kibToGib).orElse("unknown"),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ", " + System.getProperty("java.vm.name") + ")",
                version(redisServerBinary),
                version(redisBenchmarkBinary));
    }

    /** The 1-minute load average (runnable processes), or "unknown" where /proc is unavailable. */
    public static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split("\\s+")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static Optional<String> procField(String file, String name) {
        try {
            for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(name)) {
                    return Optional.of(line.substring(colon + 1).trim());
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static String kibToGib(String memTotal) {
        try {
            long kib = Long.parseLong(memTotal.split("\\s+")[0]);
            return String.format(Locale.ROOT, "%.1f GiB RAM", kib / (1024.0 * 1024.0));
        } catch (NumberFormatException e) {
            return memTotal;
        }
    }

    /** The first line a program prints for {@code --version}, or why it could not be asked. */
    static String version(String binary) {
        try {
            Process process = new ProcessBuilder(List.of(binary, "--version")).redirectErrorStream(true).start();
            process.getOutputStream().close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return "unknown (" + binary + " --version timed out)";
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return output.lines().findFirst().orElse("unknown");
        } catch (IOException e) {
            return "not found (" + binary + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
