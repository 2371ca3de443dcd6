package io.converge.server.cli;

import io.converge.server.ConvergeNode;
import io.converge.server.NodeLauncher;
import io.converge.server.config.ConfigException;
import io.converge.server.config.ConfigLoader;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.util.SecretFiles;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code converge server}: runs one node in the foreground until Ctrl-C. */
@Command(name = "server", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Start one Converge node in the foreground (Ctrl-C stops it).")
public final class ServerCli implements Callable<Integer> {

    @Option(names = "--port", paramLabel = "P", description = "TCP port (default: 7001, or the config file's).")
    Integer port;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (see docs/configuration.md).")
    Path config;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Data directory (default: data/node-<port>).")
    Path dataDir;

    @Option(names = "--bind", paramLabel = "ADDR", description = "Address to listen on (repeatable; default 127.0.0.1).")
    List<String> bind;

    @Option(names = "--requirepass", paramLabel = "PASS", description = "Password of the default user.")
    String requirepass;

    @Option(names = "--requirepass-file", paramLabel = "FILE", description = "Read the password of the default user from FILE (e.g. a mounted Kubernetes Secret), keeping it off the command line.")
    Path requirepassFile;

    @Option(names = "--node-id", paramLabel = "ID", description = "Node id (default: generated and kept in the data directory; in a cluster: this node's id in the cluster file).")
    String nodeId;

    @Option(names = "--cluster", paramLabel = "FILE", description = "Cluster description (YAML, see docs/cluster.md): run as node --node-id of that cluster.")
    Path cluster;

    @Option(names = "--tls-port", paramLabel = "P", description = "TCP port for TLS clients (0: none; with --port 0: TLS only).")
    Integer tlsPort;

    @Option(names = "--tls-cert-file", paramLabel = "FILE", description = "PEM certificate the node presents over TLS.")
    Path tlsCertFile;

    @Option(names = "--tls-key-file", paramLabel = "FILE", description = "PEM private key of the TLS certificate.")
    Path tlsKeyFile;

    @Option(names = "--tls-ca-cert-file", paramLabel = "FILE", description = "PEM CA certificates that verify client certificates.")
    Path tlsCaCertFile;

    @Option(names = "--tls-auth-clients", paramLabel = "yes|no|optional", description = "Whether TLS clients need a certificate (default yes).")
    String tlsAuthClients;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Set any configuration key (repeatable), e.g. --set maxmemory=1gb.")
    List<String> settings;

    @Override
    public Integer call() {
        Map<String, String> overrides;
        try {
            overrides = overrides();
        } catch (IllegalArgumentException e) {
            System.err.println("converge server: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            System.err.println("converge server: cannot read --requirepass-file " + e.getMessage());
            return 1;
        }
        return runForeground(config, overrides, "server");
    }

    /**
     * The configuration {@code converge server <args>} would start its node with (the file's keys,
     * then the flags'), without starting it: what a deployment's command line amounts to.
     */
    public static ConvergeConfig configuration(String... args) throws IOException {
        ServerCli cli = new ServerCli();
        new CommandLine(cli).parseArgs(args);
        return ConfigLoader.load(cli.config, cli.overrides());
    }

    /**
     * The configuration keys the flags set, applied over the file's; throws
     * {@link IllegalArgumentException} for a malformed flag and {@link IOException} when the
     * password file cannot be read.
     */
    Map<String, String> overrides() throws IOException {
        Map<String, String> overrides = new LinkedHashMap<>();
        if (settings != null) {
            for (String s : settings) {
                int eq = s.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("--set expects KEY=VALUE, got '" + s + "'");
                }
                overrides.put(s.substring(0, eq), s.substring(eq + 1));
            }
        }
        if (port != null) {
            overrides.put("port", port.toString());
        }
        if (dataDir != null) {
            overrides.put("data-dir", dataDir.toString());
        }
        if (bind != null && !bind.isEmpty()) {
            overrides.put("bind", String.join(" ", bind));
        }
        if (requirepass != null && requirepassFile != null) {
            throw new IllegalArgumentException("give --requirepass or --requirepass-file, not both");
        }
        if (requirepass != null) {
            overrides.put("requirepass", requirepass);
        }
        if (requirepassFile != null) {
            overrides.put("requirepass", SecretFiles.read(requirepassFile));
        }
        if (nodeId != null) {
            overrides.put("node-id", nodeId);
        }
        if (cluster != null) {
            overrides.put("cluster", cluster.toString());
        }
        if (tlsPort != null) {
            overrides.put("tls-port", tlsPort.toString());
        }
        if (tlsCertFile != null) {
            overrides.put("tls-cert-file", tlsCertFile.toString());
        }
        if (tlsKeyFile != null) {
            overrides.put("tls-key-file", tlsKeyFile.toString());
        }
        if (tlsCaCertFile != null) {
            overrides.put("tls-ca-cert-file", tlsCaCertFile.toString());
        }
        if (tlsAuthClients != null) {
            overrides.put("tls-auth-clients", tlsAuthClients);
        }
        return overrides;
    }

    /** Loads the configuration, starts a node and waits until it is stopped; returns the exit code. */
    static int runForeground(Path configFile, Map<String, String> overrides, String commandName) {
        ConvergeConfig config;
        try {
            config = ConfigLoader.load(configFile, overrides);
        } catch (ConfigException e) {
            System.err.println("converge " + commandName + ": configuration error: " + e.getMessage());
            return 1;
        }
        ConvergeNode node;
        try {
            node = NodeLauncher.start(config);
        } catch (ConfigException e) {
            System.err.println("converge " + commandName + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            String reason = e instanceof BindException || (e.getCause() instanceof BindException)
                    ? "cannot listen on " + String.join(",", config.bind()) + " port " + config.port() + ": " + e.getMessage()
                    : e.toString();
            System.err.println("converge " + commandName + ": failed to start: " + reason);
            return 1;
        }
        Thread hook = new Thread(() -> node.shutdown(false), "converge-shutdown"); // SIGTERM: as SHUTDOWN
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            node.awaitClose();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            node.close();
        }
        return 0;
    }
}
