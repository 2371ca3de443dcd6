package io.converge.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.converge.bench.sidebyside.RunPlan;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * End-to-end runs of {@code converge bench} where the "converge" target is a second
 * redis-server, so the whole flow (start, benchmark, memory, report, stop) runs for real.
 */
class SideBySideTest {
    private static final String REDIS_AS_CONVERGE = "redis-server --port {port} --save '' --appendonly no";

    @TempDir
    Path dir;

    /** What one run printed and returned. */
    private record Run(int exitCode, String report, String progress) {
        /** The pids of every server the run said it started. */
        List<Long> startedPids() {
            Matcher m = Pattern.compile("started \\S+ on port \\d+ \\(pid (\\d+)\\)").matcher(progress);
            return m.results().map(r -> Long.parseLong(r.group(1))).toList();
        }
    }

    /** Runs the command with its server logs in this test's temporary directory. */
    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] withLogDir = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                java.util.stream.Stream.of("--log-dir", dir.resolve("logs").toString())).toArray(String[]::new);
        int code = SideBySide.execute(withLogDir, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /** The cells of the first table line for {@code test} after {@code heading}. */
    private static List<String> cells(String report, String heading, String test) {
        String section = report.substring(report.indexOf(heading));
        String line = section.lines().filter(l -> l.startsWith("| " + test + " ")).findFirst().orElseThrow();
        return List.of(line.substring(1, line.length() - 1).split(" \\| ", -1)).stream().map(String::strip).toList();
    }

    @Test
    void quickRunComparesTwoServersAndAppendsTheReport() throws Exception {
        Path out = dir.resolve("BENCHMARKS.md");
        Files.writeString(out, "# Benchmarks\n");

        Run run = run("--quick", "--converge-cmd", REDIS_AS_CONVERGE, "--out", out.toString());

        assertThat(run.exitCode()).as(run.progress()).isZero();
        for (int pipeline : List.of(1, 16)) {
            String heading = "### Throughput and latency, pipeline " + pipeline;
            assertThat(run.report()).contains(heading);
            for (String test : List.of("SET", "GET", "INCR", "HSET", "SADD", "ZADD")) {
                List<String> cells = cells(run.report(), heading, test);
                assertThat(cells).hasSize(10);
                assertThat(cells.get(1)).as("redis rps").matches("[0-9,]+");
                assertThat(cells.get(2)).as("converge rps").matches("[0-9,]+");
                assertThat(cells.get(3)).as("ratio").matches("\\d+\\.\\d\\dx");
                assertThat(cells.get(9)).as("verdict").matches("ok|\\*\\*.*");
            }
        }
        assertThat(cells(run.report(), "### Memory", "DBSIZE after loading")).containsExactly(
                "DBSIZE after loading", "100,000", "100,000", "");
        assertThat(cells(run.report(), "### Memory", "used_memory per key (loaded - empty) / keys").get(3))
                .as("two identical redis-servers use the same memory per key").isEqualTo("1.00x");
        assertThat(run.report()).contains("converge used_memory with 100,000 keys is")
                .contains("- Command: `./converge bench --quick --converge-cmd")
                .containsPattern("- Load average \\(1 min\\): \\d+\\.\\d+ before the run, \\d+\\.\\d+ after it")
                .contains("shares its 2 cores".replace("2", Integer.toString(Runtime.getRuntime().availableProcessors())))
                .contains("- Target converge: `" + REDIS_AS_CONVERGE + "`");
        assertThat(Files.readString(out)).isEqualTo("# Benchmarks\n\n" + run.report());
        assertThat(run.startedPids()).hasSize(4)
                .allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).as("pid " + pid + " stopped")
                        .isNotEqualTo(java.util.Optional.of(true)));
    }

    @Test
    void clusterModeAddsTheLocalClusterBesideTheSingleNodeAndStopsIt() {
        Path jar = Path.of("..", "server", "target", "converge-server.jar");
        assumeTrue(Files.isRegularFile(jar), "no node jar at " + jar.toAbsolutePath() + " (mvn package first)");

        Run run = run("--cluster", "--trees-off-target", "--converge-jar", jar.toString(), "--jvm-opts", "-Xmx512m",
                "--tests", "set,get", "--pipelines", "1", "-n", "2000", "--warmup", "0", "--rounds", "1", "--skip-memory",
                "--skip-partition", "--skip-repair", "--converge-cmd", REDIS_AS_CONVERGE);

        assertThat(run.exitCode()).as(run.progress() + run.report()).isZero();
        String heading = "### Throughput and latency, pipeline 1";
        assertThat(run.report()).contains("Target for converge-3node at pipeline 1: throughput >= 0.35x redis, p99 < 2.00 ms.")
                .contains("- Target converge-3node: `").contains("read-consistency: \"ONE\"")
                .contains("- Target converge-3node-qr: `").contains("read-consistency: \"LOCAL_QUORUM\"")
                .contains("- Target converge-3node-notrees: `").contains("repair-hash-trees: \"no\"");
        List<String> set = cells(run.report(), heading, "SET");
        List<String> get = cells(run.report(), heading, "GET");
        // test, 5 rps, 4 ratios, 5 p50, 5 p99, 4 p99 ratios, 4 verdicts
        assertThat(set).hasSize(28);
        assertThat(set.get(3)).as("converge-3node SET rps").matches("[0-9,]+");
        assertThat(set.get(4)).as("converge-3node-qr runs GET only").isEqualTo("n/a");
        assertThat(set.get(5)).as("converge-3node-notrees SET rps").matches("[0-9,]+");
        assertThat(get.get(3)).as("converge-3node GET rps").matches("[0-9,]+");
        assertThat(get.get(4)).as("converge-3node-qr GET rps").matches("[0-9,]+");
        assertThat(get.get(8)).as("converge-3node-qr/redis rps").matches("\\d+\\.\\d\\dx");
        List<String> cost = cells(run.report(), "### Write-path cost of the hash trees", "SET");
        assertThat(cost).hasSize(6);
        assertThat(cost.get(3)).as("trees on/off").matches("\\d+\\.\\d{3}x");
        assertThat(run.startedPids()).hasSize(5)
                .allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("pid " + pid + " stopped").isEmpty());
    }

    @Test
    void theRepairPhaseMeasuresCatchUpAndRepairOnNodeProcessesAndStopsThem() {
        Path jar = Path.of("..", "server", "target", "converge-server.jar");
        assumeTrue(Files.isRegularFile(jar), "no node jar at " + jar.toAbsolutePath() + " (mvn package first)");

        Run run = run("--repair", "--converge-jar", jar.toString(), "--jvm-opts", "-Xmx256m", "--repair-keys", "3000",
                "--repair-divergent", "100", "--rounds", "1");

        assertThat(run.exitCode()).as(run.progress() + run.report()).isZero();
        assertThat(run.report()).doesNotContain("### Throughput").doesNotContain("### Time to converge")
                .contains("### Repair and catch-up").contains("- Nodes: `").contains("--node-id N");
        assertThat(cells(run.report(), "#### A replica that missed 3,000 keys", "1").get(9))
                .startsWith("ok: 3,000 sampled keys as written on node 3");
        assertThat(cells(run.report(), "#### 100 divergent keys among 3,000", "1").get(3))
                .isEqualTo("ok: the 100 keys hold node 1's values on 3 nodes");
        assertThat(cells(run.report(), "#### A replaced node holding 3,000 keys", "1").get(8))
                .startsWith("ok: 3,000 sampled keys as written on node 3");
        assertThat(run.startedPids()).hasSize(3)
                .allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("pid " + pid + " stopped").isEmpty());
    }

    @Test
    void missingCommandsAndInfoAreReportedNotFatal() {
        Run run = run("--tests", "set,zadd", "--pipelines", "1", "-n", "2000", "--warmup", "0", "--rounds", "2",
                "--memory-keys", "5000",
                "--converge-cmd", REDIS_AS_CONVERGE + " --rename-command ZADD '' --rename-command INFO ''");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(cells(run.report(), "pipeline 1", "SET").get(2)).matches("[0-9,]+");
        assertThat(cells(run.report(), "pipeline 1", "ZADD").get(2)).isEqualTo("failed");
        assertThat(run.progress()).contains("round 2 of 2");
        assertThat(run.report()).contains("figures are medians of 2 rounds");
        assertThat(run.report()).contains("- converge ZADD P1: redis-benchmark exited with code 1: Error from server: ERR unknown command 'ZADD'")
                .contains("converge used_memory is not available, so the memory target (target <= 2.5x) cannot be checked; its RSS with 5,000 keys is")
                .contains("- converge: INFO memory reports no used_memory; compare RSS only");
        assertThat(run.startedPids()).hasSize(4).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty());
    }

    @Test
    void aNodeThatDoesNotStartStopsTheRunWithItsLog() throws Exception {
        Run run = run("--quick", "--tests", "get", "--converge-cmd", "redis-server --port {port} --no-such-option yes");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.report()).contains("### Problems").contains("throughput phase: converge exited with code")
                .contains("no-such-option").doesNotContain("memory phase").doesNotContain("### Throughput");
        assertThat(Files.readString(dir.resolve("logs/throughput/converge.log"))).contains("no-such-option");
        assertThat(run.startedPids()).hasSize(1)
                .allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("redis stopped").isEmpty());
    }

    @Test
    void badOptionsAreUsageErrors() {
        Run noPlaceholder = run("--converge-cmd", "redis-server --port 6379");
        Run noJar = run("--repo", dir.toString());
        Run noClients = run("--clients", "0", "--converge-cmd", REDIS_AS_CONVERGE);

        assertThat(noPlaceholder.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(noPlaceholder.progress()).contains("must contain {port}");
        assertThat(noJar.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(noJar.progress()).contains("no Converge node jar at").contains("--converge-cmd");
        assertThat(noClients.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(noClients.progress()).contains("must be positive");
    }

    @Test
    void helpListsTheOptions() {
        Run help = run("--help");

        assertThat(help.exitCode()).isZero();
        assertThat(help.report()).contains("./converge bench [OPTIONS]", "--converge-cmd", "--jvm-opts", "--tests",
                "--pipelines", "--clients", "--requests", "--quick", "--out", "--memory-keys");
    }

    @Test
    void quickChangesOnlyTheDefaultsNotWhatWasGiven() {
        SideBySide quick = new SideBySide();
        new CommandLine(quick).parseArgs("--quick", "-n", "5000");
        SideBySide full = new SideBySide();
        new CommandLine(full).parseArgs("--pipelines", "1,4,16", "--tests", "get");

        RunPlan quickPlan = quick.plan();
        RunPlan fullPlan = full.plan();

        assertThat(quickPlan.requestsUnpipelined()).isEqualTo(5000);
        assertThat(quickPlan.requestsPipelined()).isEqualTo(100_000);
        assertThat(quickPlan.memoryKeys()).isEqualTo(100_000);
        assertThat(quickPlan.rounds()).isEqualTo(1);
        assertThat(quickPlan.tests()).containsExactly("set", "get", "incr", "hset", "sadd", "zadd", "lpush", "rpush",
                "lpop", "rpop", "lrange_100");
        assertThat(fullPlan.requestsUnpipelined()).isEqualTo(200_000);
        assertThat(fullPlan.requestsPipelined()).isEqualTo(1_000_000);
        assertThat(fullPlan.memoryKeys()).isEqualTo(1_000_000);
        assertThat(fullPlan.rounds()).isEqualTo(3);
        assertThat(fullPlan.clients()).isEqualTo(50);
        assertThat(fullPlan.pipelines()).containsExactly(1, 4, 16);
        assertThat(fullPlan.tests()).containsExactly("get");
    }

    @Test
    void theDefaultNodeCommandIsThisJavaRunningTheServerJar() throws Exception {
        Path jar = Files.createDirectories(dir.resolve("server/target")).resolve("converge-server.jar");
        Files.writeString(jar, "not really a jar");
        SideBySide bench = new SideBySide();
        new CommandLine(bench).parseArgs("--repo", dir.toString(), "--jvm-opts", " -Xmx1g  -XX:+UseZGC ");

        assertThat(bench.convergeTemplate().forPort(7001)).containsSequence(SideBySide.currentJava(), "-Xmx1g",
                "-XX:+UseZGC", "-jar", jar.toAbsolutePath().toString(), "server", "--port", "7001");
    }

    @Test
    void withoutJvmOptionsTheNodeGetsTheLaunchersDefaults() throws Exception {
        Path jar = Files.createDirectories(dir.resolve("server/target")).resolve("converge-server.jar");
        Files.writeString(jar, "not really a jar");
        Files.writeString(dir.resolve("server/jvm.options"), "21 -XX:+UseSerialGC\n999 -XX:+FromTheFuture\n");
        SideBySide bench = new SideBySide();
        new CommandLine(bench).parseArgs("--repo", dir.toString());
        // The environment's CONVERGE_JAVA_OPTS, when the test runner has one, wins like in the launcher.
        assumeTrue(System.getenv("CONVERGE_JAVA_OPTS") == null);

        assertThat(bench.convergeTemplate().forPort(7001)).containsSequence(SideBySide.currentJava(),
                "-XX:+UseSerialGC", "-jar").doesNotContain("-XX:+FromTheFuture");
    }
}
