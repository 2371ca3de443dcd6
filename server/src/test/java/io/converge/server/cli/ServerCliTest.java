package io.converge.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The configuration keys {@code converge server}'s flags set, without starting a node. */
class ServerCliTest {
    @TempDir
    Path dir;

    /** Parses {@code args} as {@code converge server} would. */
    private static ServerCli parse(String... args) {
        ServerCli cli = new ServerCli();
        new CommandLine(cli).parseArgs(args);
        return cli;
    }

    /** {@code --requirepass-file} reads the password from a file, without its trailing newline. */
    @Test
    void requirepassFileSetsThePasswordFromTheFile() throws IOException {
        Path file = dir.resolve("requirepass");
        Files.writeString(file, "p@ss word\n");
        assertThat(parse("--requirepass-file", file.toString(), "--node-id", "2").overrides())
                .containsEntry("requirepass", "p@ss word").containsEntry("node-id", "2");
    }

    /** A missing or empty file, or both password flags, are refused with a clear reason. */
    @Test
    void requirepassFileProblemsAreReported() throws IOException {
        assertThatThrownBy(() -> parse("--requirepass-file", dir.resolve("none").toString()).overrides())
                .isInstanceOf(IOException.class).hasMessageContaining("no such file");
        Path empty = Files.writeString(dir.resolve("empty"), "");
        assertThatThrownBy(() -> parse("--requirepass-file", empty.toString()).overrides())
                .isInstanceOf(IOException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> parse("--requirepass", "x", "--requirepass-file", empty.toString()).overrides())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
    }
}
