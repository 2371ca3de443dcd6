package io.converge.bench;

import io.converge.bench.sidebyside.Cleanup;
import io.converge.bench.sidebyside.ClusterTarget;
import io.converge.bench.sidebyside.CommandTemplate;
import io.converge.bench.sidebyside.MachineInfo;
import io.converge.bench.sidebyside.MemoryResult;
import io.converge.bench.sidebyside.MemoryRun;
import io.converge.bench.sidebyside.NodeCluster;
import io.converge.bench.sidebyside.NodeJvmOptions;
import io.converge.bench.sidebyside.PartitionPlan;
import io.converge.bench.sidebyside.PartitionResults;
import io.converge.bench.sidebyside.PartitionRun;
import io.converge.bench.sidebyside.PerformanceGoal;
import io.converge.bench.sidebyside.RepairPlan;
import io.converge.bench.sidebyside.RepairResults;
import io.converge.bench.sidebyside.RepairRun;
import io.converge.bench.sidebyside.ProcessTarget;
import io.converge.bench.sidebyside.RedisBenchmark;
import io.converge.bench.sidebyside.Report;
import io.converge.bench.sidebyside.RunPlan;
import io.converge.bench.sidebyside.RunningTarget;
import io.converge.bench.sidebyside.ServerProcess;
import io.converge.bench.sidebyside.TargetSpec;
import io.converge.bench.sidebyside.ThroughputResults;
import io.converge.bench.sidebyside.ThroughputRun;
import io.converge.bench.sidebyside.TreeCostTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code converge bench}: runs redis-benchmark against a fresh redis-server and a fresh Converge
 * node in the same run, prints throughput/latency tables per pipeline depth and a memory
 * comparison, checks them against issue 3's targets, and can append the report to a file.
 *
 * <p>The run has up to three phases, each with its own freshly started servers: throughput
 * (warm-up, then every test at every pipeline depth, targets taking turns), memory (load the same
 * keys into each, measure) and, with {@code --cluster} or alone with {@code --partition}, the
 * time to converge after a partition of the 3-node cluster ({@link PartitionRun}). Servers are
 * stopped at the end, on failure and on Ctrl-C.
 */
@Command(name = "converge bench", sortOptions = false, customSynopsis = "./converge bench [OPTIONS]",
        description = {
            "Side-by-side benchmark: redis-benchmark against a redis-server and a Converge node, both started "
                    + "here on free ports, then a memory comparison with the same keys loaded into each.",
            "Exit code 0 when everything was measured, 1 when something failed (the report says what).",
            ""})
public final class SideBySide implements Callable<Integer> {
    private static final List<String> DEFAULT_TESTS = List.of("set", "get", "incr", "hset", "sadd", "zadd", "lpush", "rpush", "lpop", "rpop",
            "lrange_100");
    private static final String CLUSTER = "converge-3node";
    private static final String CLUSTER_TREES_OFF = "converge-3node-notrees";

    @Spec
    private CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Option(names = "--repo", paramLabel = "DIR", description = "Converge checkout (default: current directory).")
    private Path repo = Path.of("");

    @Option(names = "--converge-jar", paramLabel = "JAR",
            description = "Node jar (default: <repo>/server/target/converge-server.jar).")
    private Path convergeJar;

    @Option(names = "--jvm-opts", paramLabel = "OPTS",
            description = "JVM options for the node, split on spaces (default: $CONVERGE_JAVA_OPTS if set, "
                    + "else the launcher's defaults from server/jvm.options).")
    private String jvmOpts = System.getenv("CONVERGE_JAVA_OPTS");

    @Option(names = "--converge-cmd", paramLabel = "CMD",
            description = "Whole shell command that starts the node, with {port} for its port; replaces the "
                    + "java -jar default (e.g. to point at another build or server).")
    private String convergeCommand;

    @Option(names = "--tests", split = ",", paramLabel = "T,T",
            description = "redis-benchmark tests (default: set,get,incr,hset,sadd,zadd,lpush,rpush,lpop,rpop,lrange_100; "
                    + "also evalsha: a loaded INCR + EXPIRE script run by its SHA1).")
    private List<String> tests = new ArrayList<>(DEFAULT_TESTS);

    @Option(names = "--pipelines", split = ",", paramLabel = "P,P",
            description = "Pipeline depths, one table each (default: 1,16).")
    private List<Integer> pipelines = new ArrayList<>(List.of(1, 16));

    @Option(names = {"-c", "--clients"}, paramLabel = "N", description = "Parallel connections (default: ${DEFAULT-VALUE}).")
    private int clients = 50;

    @Option(names = {"-n", "--requests"}, paramLabel = "N",
            description = "Requests per test at pipeline 1 (default: 200000; --quick: 20000).")
    private Integer requests;

    @Option(names = "--pipelined-requests", paramLabel = "N",
            description = "Requests per test at deeper pipelines (default: 1000000; --quick: 100000).")
    private Integer pipelinedRequests;

    @Option(names = {"-r", "--keyspace"}, paramLabel = "N",
            description = "redis-benchmark -r: random keys and members drawn from N (default: ${DEFAULT-VALUE}).")
    private int keyspace = 100_000;

    @Option(names = "--warmup", paramLabel = "N",
            description = "Warm-up requests per test and target before measuring, 0 for none (default: 100000; --quick: 10000).")
    private Integer warmup;

    @Option(names = "--rounds", paramLabel = "N",
            description = "Repeat every measurement N times and report the medians (default: 3; --quick: 1).")
    private Integer rounds;

    @Option(names = "--memory-keys", paramLabel = "N",
            description = "Keys loaded for the memory comparison (default: 1000000; --quick: 100000).")
    private Integer memoryKeys;

    @Option(names = "--quick", description = "Short run with smaller defaults (a smoke test, not a result).")
    private boolean quick;

    @Option(names = "--skip-throughput", description = "Skip the redis-benchmark phase.")
    private boolean skipThroughput;

    @Option(names = "--skip-memory", description = "Skip the memory phase.")
    private boolean skipMemory;

    @Option(names = "--cluster",
            description = "Also measure a 3-node local cluster (converge up --nodes 3, replication factor 3, writes at "
                    + "LOCAL_QUORUM) with clients on node 1: target converge-3node reads at ONE, target "
                    + "converge-3node-qr repeats GET with reads at LOCAL_QUORUM. Not part of the memory phase.")
    private boolean cluster;

    @Option(names = "--trees-off-target",
            description = "With --cluster, also measure converge-3node-notrees, the same cluster with "
                    + "repair-hash-trees: no on every node, and report the write-path cost of the hash trees "
                    + "(trees on against off, side by side in the same run).")
    private boolean treesOffTarget;

    @Option(names = "--partition",
            description = "Run only the partition phase (with --repair: both): a 3-node local cluster, node 3 cut off from nodes 1 "
                    + "and 2 (CONVERGE PARTITION), writes at consistency ONE on both sides, then the time from the "
                    + "heal until every node holds the same data, verified key by key. --cluster runs it after the "
                    + "other phases.")
    private boolean partitionOnly;

    @Option(names = "--skip-partition", description = "Skip the partition phase of a --cluster run.")
    private boolean skipPartition;

    @Option(names = "--partition-seconds", paramLabel = "N",
            description = "How long the partition lasts, with writes on both sides throughout "
                    + "(default: 10; --quick: 2).")
    private Integer partitionSeconds;

    @Option(names = "--partition-keys", paramLabel = "N",
            description = "Distinct keys that diverge during each partition (default: 100000; --quick: 10000).")
    private Integer partitionKeys;

    @Option(names = "--partition-value-bytes", paramLabel = "N",
            description = "Pad the string values the partition writes to N bytes, e.g. to overflow the 64 MiB "
                    + "delta buffers (default: 0, values of 8-20 bytes).")
    private int partitionValueBytes;

    @Option(names = "--repair",
            description = "Run only the repair phase (with --partition: both; --cluster runs it after the other "
                    + "phases): 3 node processes, a replica that missed every key catching up, divergent keys found "
                    + "and repaired by CONVERGE REPAIR, a replaced (killed, wiped, restarted) node catching up.")
    private boolean repairOnly;

    @Option(names = "--skip-repair", description = "Skip the repair phase of a --cluster run.")
    private boolean skipRepair;

    @Option(names = "--repair-keys", paramLabel = "N",
            description = "Keys every node holds in the repair phase (default: 1000000; --quick: 100000).")
    private Integer repairKeys;

    @Option(names = "--repair-value-bytes", paramLabel = "N",
            description = "Value length in the repair phase (default: ${DEFAULT-VALUE}).")
    private int repairValueBytes = 100;

    @Option(names = "--repair-divergent", paramLabel = "N",
            description = "Keys made to differ on one node before CONVERGE REPAIR (default: ${DEFAULT-VALUE}).")
    private int repairDivergent = 1_000;

    @Option(names = "--repair-measurements", split = ",", paramLabel = "M,M",
            description = "Which repair measurements run: missed (a replica that missed every key), divergent, "
                    + "replaced (default: all three).")
    private List<String> repairMeasurements = List.of("missed", "divergent", "replaced");

    @Option(names = "--out", paramLabel = "FILE", description = "Also append the report to FILE (e.g. BENCHMARKS.md).")
    private Path out;

    @Option(names = "--redis-server", paramLabel = "PATH", description = "redis-server binary (default: from PATH).")
    private String redisServer = "redis-server";

    @Option(names = "--redis-benchmark", paramLabel = "PATH", description = "redis-benchmark binary (default: from PATH).")
    private String redisBenchmark = "redis-benchmark";

    @Option(names = "--start-timeout", paramLabel = "SECONDS",
            description = "How long a server may take to answer PING (default: ${DEFAULT-VALUE}).")
    private int startTimeoutSeconds = 60;

    @Option(names = "--run-timeout", paramLabel = "SECONDS",
            description = "Longest one redis-benchmark invocation may take (default: ${DEFAULT-VALUE}).")
    private int runTimeoutSeconds = 600;

    @Option(names = "--keep-logs", description = "Keep the servers' logs even when the run succeeds.")
    private boolean keepLogs;

    @Option(names = "--log-dir", paramLabel = "DIR",
            description = "Where the servers' logs go (default: a new temporary directory, removed after a clean run).")
    private Path logDirOption;

    private String[] originalArgs = new String[0];

    /** Runs the benchmark; exits with its exit code. */
    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8)));
    }

    /** Runs the benchmark with the report going to {@code out} and progress to {@code err}. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        SideBySide command = new SideBySide();
        command.originalArgs = args.clone();
        return new CommandLine(command).setOut(out).setErr(err).execute(args);
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter report = spec.commandLine().getOut();
        PrintWriter progress = spec.commandLine().getErr();
        RunPlan plan;
        List<TargetSpec> memoryTargets;
        List<TargetSpec> targets;
        PartitionPlan partitionPlan;
        ClusterTarget partitionTarget;
        RepairPlan repairPlan;
        try {
            if (treesOffTarget && !cluster) {
                throw new IllegalArgumentException("--trees-off-target needs --cluster");
            }
            plan = plan();
            partitionPlan = partitionPlan();
            partitionTarget = partitionPlan == null ? null : partitionTarget();
            repairPlan = repairPlan();
            if (repairPlan != null) {
                convergeJarPath(); // a missing jar is a usage error before anything starts
            }
            if (phasesOnly()) {
                memoryTargets = List.of();
                targets = List.of();
            } else {
                memoryTargets = List.of(
                        ProcessTarget.redisServer("redis", redisServer),
                        new ProcessTarget("converge", convergeTemplate(), PerformanceGoal.SINGLE_NODE));
                targets = new ArrayList<>(memoryTargets);
                if (cluster) {
                    targets.addAll(clusterTargets());
                }
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Duration readyTimeout = Duration.ofSeconds(startTimeoutSeconds);
        Path logDir = logDirOption != null ? Files.createDirectories(logDirOption)
                : Files.createTempDirectory("converge-bench-");

        Cleanup cleanup = new Cleanup();
        Thread stopOnExit = new Thread(cleanup::close, "converge-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        ThroughputResults throughput = null;
        List<MemoryResult> memory = null;
        PartitionResults partition = null;
        RepairResults repair = null;
        List<String> problems = new ArrayList<>();
        try {
            String loadBefore = MachineInfo.loadAverage();
            progress.println("converge bench: logs in " + logDir);
            MachineInfo machine = MachineInfo.probe(redisServer, redisBenchmark);
            boolean serversStart = true;
            if (plan.throughput()) {
                try (Started started = start(targets, logDir.resolve("throughput"), readyTimeout, cleanup, progress)) {
                    RedisBenchmark benchmark = new RedisBenchmark(redisBenchmark, Duration.ofSeconds(runTimeoutSeconds),
                            logDir, cleanup);
                    throughput = new ThroughputRun(benchmark, progress).run(started.targets(), plan);
                } catch (ServerProcess.ServerStartException e) {
                    problems.add("throughput phase: " + e.getMessage());
                    serversStart = false; // the memory phase would fail the same way
                } catch (IOException e) {
                    problems.add("throughput phase: " + e.getMessage());
                }
            }
            if (plan.memory() && serversStart) {
                try (Started started = start(memoryTargets, logDir.resolve("memory"), readyTimeout, cleanup, progress)) {
                    memory = new MemoryRun(progress).run(started.targets(), plan.memoryKeys());
                } catch (IOException e) {
                    problems.add("memory phase: " + e.getMessage());
                }
            }
            if (partitionPlan != null && serversStart) {
                try (Started started = start(List.of(partitionTarget), logDir.resolve("partition"), readyTimeout,
                        cleanup, progress)) {
                    int base = started.targets().get(0).clientPort();
                    List<Integer> ports = new ArrayList<>();
                    for (int node = 1; node <= partitionTarget.nodes(); node++) {
                        ports.add(ClusterTarget.clientPort(base, node));
                    }
                    partition = new PartitionRun(partitionPlan, progress).run(ports,
                            partitionTarget.launchDescription() + " (client ports {port}..{port}+" + (ports.size() - 1)
                                    + ")");
                } catch (IOException e) {
                    problems.add("partition phase: " + e.getMessage());
                }
            }
            if (repairPlan != null && serversStart) {
                try (NodeCluster nodes = NodeCluster.start("converge-repair", nodeJava(), convergeJarPath(), 3,
                        Map.of("enable-debug-command", "local"), logDir.resolve("repair"), readyTimeout, cleanup)) {
                    for (int node = 1; node <= nodes.ports().size(); node++) {
                        progress.printf("started converge-repair-node%d on port %d (pid %d)%n", node, nodes.port(node),
                                nodes.pid(node));
                    }
                    repair = new RepairRun(repairPlan, progress).run(nodes, readyTimeout,
                            nodes.launchDescription() + " with node.yaml: enable-debug-command: \"local\"");
                } catch (IOException e) {
                    problems.add("repair phase: " + e.getMessage());
                }
            }
            Report result = new Report(displayedCommandLine(), machine, plan, targets, memoryTargets, throughput, memory,
                    treeCost(), partition, repair, problems, loadBefore, MachineInfo.loadAverage());
            String markdown = result.render();
            report.print(markdown);
            report.flush();
            if (out != null) {
                Files.writeString(out, "\n" + markdown, StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                progress.println("converge bench: report appended to " + out);
            }
            if (result.hasFailures()) {
                progress.println("converge bench: some measurements failed; server logs kept in " + logDir);
                return 1;
            }
            if (keepLogs || logDirOption != null) {
                progress.println("converge bench: server logs kept in " + logDir);
            } else {
                deleteRecursively(logDir);
            }
            return 0;
        } finally {
            cleanup.close();
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running or about to: nothing left to undo.
            }
            progress.flush();
        }
    }

    /** The plan from the options, with --quick defaults for anything not given. */
    RunPlan plan() {
        return new RunPlan(tests, pipelines, clients,
                orDefault(requests, 200_000, 20_000),
                orDefault(pipelinedRequests, 1_000_000, 100_000),
                keyspace,
                orDefault(warmup, 100_000, 10_000),
                orDefault(rounds, 3, 1),
                orDefault(memoryKeys, 1_000_000, 100_000),
                !skipThroughput && !phasesOnly(), !skipMemory && !phasesOnly());
    }

    /** Whether only the phases named (--partition, --repair) run, without the others. */
    private boolean phasesOnly() {
        return partitionOnly || repairOnly;
    }

    /** The repair phase's plan, or null when the run has no repair phase. */
    RepairPlan repairPlan() {
        if (!(repairOnly || (cluster && !phasesOnly() && !skipRepair))) {
            return null;
        }
        for (String m : repairMeasurements) {
            if (!RepairPlan.MEASUREMENTS.contains(m)) {
                throw new IllegalArgumentException("--repair-measurements: unknown measurement " + m
                        + " (one of " + String.join(", ", RepairPlan.MEASUREMENTS) + ")");
            }
        }
        return RepairPlan.of(orDefault(repairKeys, 1_000_000, 100_000), repairValueBytes, repairDivergent,
                orDefault(rounds, 3, 1)).only(java.util.Set.copyOf(repairMeasurements));
    }

    /** The partition phase's plan, or null when the run has no partition phase. */
    PartitionPlan partitionPlan() {
        if (!(partitionOnly || (cluster && !phasesOnly() && !skipPartition))) {
            return null;
        }
        return PartitionPlan.of(Duration.ofSeconds(orDefault(partitionSeconds, 10, 2)),
                orDefault(partitionKeys, 100_000, 10_000), partitionValueBytes, orDefault(rounds, 3, 1));
    }

    private int orDefault(Integer given, int full, int quickValue) {
        return given != null ? given : quick ? quickValue : full;
    }

    /**
     * The --cluster targets: the 3-node local cluster with writes at LOCAL_QUORUM, once reading at
     * ONE (every test) and once reading at LOCAL_QUORUM (GET only: writes would repeat the first);
     * with --trees-off-target, the first once more with the hash trees off.
     */
    List<TargetSpec> clusterTargets() {
        Path jar = convergeJarPath();
        List<String> java = nodeJava();
        List<TargetSpec> targets = new ArrayList<>(List.of(
                new ClusterTarget(CLUSTER, java, jar, 3, "ONE", "LOCAL_QUORUM", Set.of(),
                        PerformanceGoal.LOCAL_CLUSTER),
                new ClusterTarget("converge-3node-qr", java, jar, 3, "LOCAL_QUORUM", "LOCAL_QUORUM", Set.of("get"),
                        PerformanceGoal.LOCAL_CLUSTER)));
        if (treesOffTarget) {
            targets.add(new ClusterTarget(CLUSTER_TREES_OFF, java, jar, 3, "ONE", "LOCAL_QUORUM", Set.of(),
                    PerformanceGoal.LOCAL_CLUSTER, Map.of("repair-hash-trees", "no")));
        }
        return targets;
    }

    /** The trees-on/off comparison when the run measures both clusters, else null. */
    private TreeCostTable treeCost() {
        return cluster && treesOffTarget && !skipThroughput && !phasesOnly()
                ? new TreeCostTable(CLUSTER, CLUSTER_TREES_OFF) : null;
    }

    /**
     * The partition phase's cluster: like the --cluster target (reads at ONE, writes at
     * LOCAL_QUORUM by default, no persistence), with CONVERGE PARTITION/HEAL allowed from loopback
     * clients; the phase's writers choose consistency ONE per connection.
     */
    ClusterTarget partitionTarget() {
        return new ClusterTarget("converge-3node-partition", nodeJava(), convergeJarPath(), 3, "ONE", "LOCAL_QUORUM",
                Set.of(), PerformanceGoal.LOCAL_CLUSTER, Map.of("enable-debug-command", "local"));
    }

    /** The java binary and JVM options every node JVM is started with. */
    private List<String> nodeJava() {
        List<String> java = new ArrayList<>();
        java.add(currentJava());
        java.addAll(nodeJvmOptions());
        return java;
    }

    /** The node jar: --converge-jar, else the checkout's build; a usage error when it is missing. */
    private Path convergeJarPath() {
        Path jar = convergeJar != null ? convergeJar : repo.resolve("server/target/converge-server.jar");
        if (!Files.isRegularFile(jar)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no Converge node jar at "
                    + jar.toAbsolutePath() + ": build it (./converge build) or pass --converge-jar / --converge-cmd");
        }
        return jar;
    }

    /** --jvm-opts split on spaces, else the launcher's defaults for this JVM (the java the node runs on). */
    private List<String> nodeJvmOptions() {
        if (jvmOpts != null) {
            return Arrays.stream(jvmOpts.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
        }
        return NodeJvmOptions.defaults(repo, Runtime.version().feature());
    }

    /** How the Converge node is started: --converge-cmd, else this JVM's java running the node jar. */
    CommandTemplate convergeTemplate() {
        if (convergeCommand != null) {
            return CommandTemplate.ofShell(convergeCommand);
        }
        Path jar = convergeJarPath();
        List<String> argv = new ArrayList<>();
        argv.add(currentJava());
        // The same defaults as ./converge server (this JVM is the java the node runs on).
        argv.addAll(nodeJvmOptions());
        // Like the redis-server it is compared with (--save "" --appendonly no): no persistence,
        // and a scratch data directory so a run leaves nothing in the checkout.
        Path dataDir = Path.of(System.getProperty("java.io.tmpdir"), "converge-bench-" + CommandTemplate.PORT);
        argv.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "server", "--port", CommandTemplate.PORT,
                "--data-dir", dataDir.toString(), "--set", "appendonly=no"));
        return CommandTemplate.ofArgs(argv);
    }

    /** The java executable running this benchmark (a JDK >= 21, found by the launcher). */
    static String currentJava() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Targets started for one phase; closing stops them all. */
    private record Started(List<RunningTarget> targets) implements AutoCloseable {
        @Override
        public void close() {
            targets.forEach(RunningTarget::close);
        }
    }

    private static Started start(List<TargetSpec> specs, Path logDir, Duration readyTimeout, Cleanup cleanup,
                                 PrintWriter progress) throws IOException {
        Files.createDirectories(logDir);
        List<RunningTarget> running = new ArrayList<>();
        try {
            for (TargetSpec target : specs) {
                RunningTarget started = target.start(logDir, readyTimeout, cleanup);
                running.add(started);
                progress.printf("started %s on port %d (pid %d)%n", target.name(), started.clientPort(),
                        started.entryPoint().pid());
                progress.flush();
            }
            return new Started(List.copyOf(running));
        } catch (IOException | RuntimeException e) {
            running.forEach(RunningTarget::close);
            throw e;
        }
    }

    /** The command line as the user typed it (the launcher's own --repo left out), shell-quoted. */
    private String displayedCommandLine() {
        StringBuilder line = new StringBuilder("./converge bench");
        for (int i = 0; i < originalArgs.length; i++) {
            String arg = originalArgs[i];
            if (arg.equals("--repo")) {
                i++;
                continue;
            }
            if (arg.startsWith("--repo=")) {
                continue;
            }
            line.append(' ').append(CommandTemplate.shellQuote(arg));
        }
        return line.toString();
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // Temporary files only; leaving them behind is harmless.
        }
    }
}
