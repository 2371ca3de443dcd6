package io.converge.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code converge bench --partition} end to end at a small scale against the real node jar: a
 * 3-node cluster is cut, written on both sides, healed, and the report says it converged and
 * that every key was verified on every node.
 */
class PartitionPhaseTest {
    private static final Path NODE_JAR = Path.of("..", "server", "target", "converge-server.jar");

    @TempDir
    Path dir;

    @Test
    void aSmallPartitionRoundConvergesAndIsVerified() throws Exception {
        assumeTrue(Files.isRegularFile(NODE_JAR), "no node jar at " + NODE_JAR.toAbsolutePath() + " (mvn package first)");
        Path out = dir.resolve("BENCHMARKS.md");
        StringWriter report = new StringWriter();
        StringWriter progress = new StringWriter();

        int code = SideBySide.execute(new String[] {"--partition", "--partition-seconds", "2", "--partition-keys", "2000",
            "--rounds", "1", "--converge-jar", NODE_JAR.toString(), "--jvm-opts", "-Xmx512m",
            "--log-dir", dir.resolve("logs").toString(), "--out", out.toString()},
                new PrintWriter(report, true), new PrintWriter(progress, true));

        String text = report.toString();
        assertThat(code).as(progress + text).isZero();
        assertThat(text).contains("### Time to converge after a partition")
                .contains("- Command: `./converge bench --partition --partition-seconds 2 --partition-keys 2000")
                .contains("800 keys set on node 1 only, 800 on node 3 only, 200 keys set on both sides")
                .contains("enable-debug-command: \"local\"")
                .doesNotContain("### Throughput").doesNotContain("### Memory").doesNotContain("### Problems");
        String row = text.lines().filter(l -> l.startsWith("| 1 ")).findFirst().orElseThrow();
        List<String> cells = List.of(row.substring(1, row.length() - 1).split(" \\| ", -1)).stream()
                .map(String::strip).toList();
        assertThat(cells.get(1)).isEqualTo("2,000");
        assertThat(cells.get(2)).isEqualTo("1,400 / 1,400");
        // Every write waits for the other side: node 1's 1,400 for node 3, node 3's 1,400 for nodes 1
        // and 2; node 1's last writes may also still be on their way to node 2 (same side).
        assertThat(Integer.parseInt(cells.get(3).replace(",", ""))).isBetween(4_200, 4_200 + 1_400);
        assertThat(cells.get(4)).as("no buffer overflowed").isEqualTo("0");
        assertThat(cells.get(5)).matches("[0-9,]+ ms");
        assertThat(cells.get(6)).matches("[0-9,]+ ms");
        assertThat(cells.get(7)).startsWith("ok: 2,000 keys equal on 3 nodes, counters exact, conflicts won ");
        assertThat(Files.readString(out)).contains(text);
        Matcher started = Pattern.compile("started \\S+ on port \\d+ \\(pid (\\d+)\\)").matcher(progress.toString());
        List<Long> pids = started.results().map(r -> Long.parseLong(r.group(1))).toList();
        assertThat(pids).hasSize(1).allSatisfy(pid ->
                assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("cluster stopped").isEmpty());
    }
}
