package io.converge.bench.sidebyside;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The node's default JVM options, read from {@code server/jvm.options}: the file the launcher
 * ({@code ./converge server|up}) also reads, so the benchmark measures the node as it is run.
 *
 * <p>Format: one option per line, preceded by the lowest JDK major version that accepts it
 * ({@code 24 --sun-misc-unsafe-memory-access=allow}), optionally restricted to Linux
 * ({@code 21/linux -XX:+UseTransparentHugePages}, an option other systems' JVMs refuse); blank
 * lines and {@code #} comments are skipped.
 */
public final class NodeJvmOptions {
    /** Suffix of the version of an option only Linux JVMs accept. */
    private static final String LINUX_ONLY = "/linux";
    /** Where the defaults live, relative to the checkout. */
    public static final String FILE = "server/jvm.options";

    private NodeJvmOptions() {}

    /**
     * The options of {@code <repo>/server/jvm.options} that a JDK of {@code jdkMajor} on this
     * operating system accepts; none if the file is missing.
     */
    public static List<String> defaults(Path repo, int jdkMajor) {
        return defaults(repo, jdkMajor, System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"));
    }

    /** The options of {@code <repo>/server/jvm.options} for a JDK of {@code jdkMajor}, on Linux or not. */
    static List<String> defaults(Path repo, int jdkMajor, boolean linux) {
        Path file = repo.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try {
            return parse(Files.readAllLines(file), jdkMajor, linux);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The options among {@code lines} (the file's format) that a JDK of {@code jdkMajor}, on Linux or not, accepts. */
    static List<String> parse(List<String> lines, int jdkMajor, boolean linux) {
        List<String> options = new ArrayList<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            String version = parts[0];
            boolean linuxOnly = version.endsWith(LINUX_ONLY);
            if (linuxOnly) {
                version = version.substring(0, version.length() - LINUX_ONLY.length());
            }
            if (parts.length != 2 || version.isEmpty() || !version.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException(FILE + ": expected '<min JDK>[/linux] <option>', got: " + raw);
            }
            if (jdkMajor >= Integer.parseInt(version) && (linux || !linuxOnly)) {
                options.add(parts[1].strip());
            }
        }
        return options;
    }
}
