package io.converge.server.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code converge up}: the default local deployment. For now a single node on the base port;
 * multi-node local clusters come with the cluster work (issue 4) and are refused until then
 * rather than imitated.
 */
@Command(name = "up", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Start the default local deployment in the foreground (for now: one node on 127.0.0.1:7001).")
public final class UpCli implements Callable<Integer> {

    @Option(names = "--nodes", paramLabel = "N", defaultValue = "1", description = "Nodes per datacenter (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--dcs", paramLabel = "D", defaultValue = "1", description = "Datacenters (default: ${DEFAULT-VALUE}).")
    int dcs;

    @Option(names = "--base-port", paramLabel = "P", defaultValue = "7001", description = "Port of the first node (default: ${DEFAULT-VALUE}).")
    int basePort;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration applied to every node.")
    Path config;

    @Override
    public Integer call() {
        if (nodes < 1 || dcs < 1) {
            System.err.println("converge up: --nodes and --dcs must be at least 1");
            return 2;
        }
        if (nodes > 1 || dcs > 1) {
            System.err.println("converge up: local clusters (--nodes " + nodes + " --dcs " + dcs + ") come with the "
                    + "cluster work in a later issue; this version runs a single node. Start it with: converge up");
            return 2;
        }
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("port", Integer.toString(basePort));
        return ServerCli.runForeground(config, overrides, "up");
    }
}
