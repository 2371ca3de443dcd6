package io.converge.bench.sidebyside;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's default JVM options, read from {@code server/jvm.options}: the file the launcher
 * ({@code ./converge server|up}) also reads, so the benchmark measures the node as it is run.
 *
 * <p>Format: one option per line, preceded by the lowest JDK major version that accepts it
 * ({@code 24 --sun-misc-unsafe-memory-access=allow}); blank lines and {@code #} comments are
 * skipped.
 */
public final class NodeJvmOptions {
    /** Where the defaults live, relative to the checkout. */
    public static final String FILE = "server/jvm.options";

    private NodeJvmOptions() {}

    /** The options of {@code <repo>/server/jvm.options} that a JDK of {@code jdkMajor} accepts; none if the file is missing. */
    public static List<String> defaults(Path repo, int jdkMajor) {
        Path file = repo.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try {
            return parse(Files.readAllLines(file), jdkMajor);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The options among {@code lines} (the file's format) that a JDK of {@code jdkMajor} accepts. */
    static List<String> parse(List<String> lines, int jdkMajor) {
        List<String> options = new ArrayList<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            if (parts.length != 2 || !parts[0].chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException(FILE + ": expected '<min JDK> <option>', got: " + raw);
            }
            if (jdkMajor >= Integer.parseInt(parts[0])) {
                options.add(parts[1].strip());
            }
        }
        return options;
    }
}
