package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's default JVM options file, shared by the launcher and the benchmark. */
class NodeJvmOptionsTest {
    @TempDir
    Path repo;

    @Test
    void keepsOnlyTheOptionsTheJdkAccepts() throws Exception {
        Files.createDirectories(repo.resolve("server"));
        Files.writeString(repo.resolve(NodeJvmOptions.FILE), """
                # a comment

                21 -XX:+UseParallelGC
                24 --sun-misc-unsafe-memory-access=allow
                  25   -XX:+UseCompactObjectHeaders
                """);

        assertThat(NodeJvmOptions.defaults(repo, 21)).containsExactly("-XX:+UseParallelGC");
        assertThat(NodeJvmOptions.defaults(repo, 24))
                .containsExactly("-XX:+UseParallelGC", "--sun-misc-unsafe-memory-access=allow");
        assertThat(NodeJvmOptions.defaults(repo, 25)).containsExactly("-XX:+UseParallelGC",
                "--sun-misc-unsafe-memory-access=allow", "-XX:+UseCompactObjectHeaders");
    }

    @Test
    void linuxOnlyOptionsAreKeptOnLinuxOnly() throws Exception {
        Files.createDirectories(repo.resolve("server"));
        Files.writeString(repo.resolve(NodeJvmOptions.FILE), """
                21/linux -XX:+UseTransparentHugePages
                25/linux -XX:+SomeLaterLinuxOption
                21 -XX:+UseG1GC
                """);

        assertThat(NodeJvmOptions.defaults(repo, 21, true)).containsExactly("-XX:+UseTransparentHugePages",
                "-XX:+UseG1GC");
        assertThat(NodeJvmOptions.defaults(repo, 25, true)).containsExactly("-XX:+UseTransparentHugePages",
                "-XX:+SomeLaterLinuxOption", "-XX:+UseG1GC");
        assertThat(NodeJvmOptions.defaults(repo, 25, false)).containsExactly("-XX:+UseG1GC");
    }

    @Test
    void noFileMeansNoOptions() {
        assertThat(NodeJvmOptions.defaults(repo, 25)).isEmpty();
    }

    @Test
    void aLineWithoutItsJdkVersionIsRejected() {
        assertThatThrownBy(() -> NodeJvmOptions.parse(List.of("-XX:+UseParallelGC"), 25, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-XX:+UseParallelGC");
    }

    @Test
    void theCheckedInFileParsesForEverySupportedJdk() {
        Path checkout = Path.of("..").toAbsolutePath().normalize();
        assertThat(checkout.resolve(NodeJvmOptions.FILE)).exists();
        for (int jdk = 21; jdk <= 26; jdk++) {
            assertThat(NodeJvmOptions.defaults(checkout, jdk, true)).allSatisfy(o -> assertThat(o).startsWith("-"));
            assertThat(NodeJvmOptions.defaults(checkout, jdk, false)).allSatisfy(o -> assertThat(o).startsWith("-"));
        }
    }
}
