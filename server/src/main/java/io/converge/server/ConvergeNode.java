package io.converge.server;

import io.converge.server.command.ClientCommands;
import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandCommands;
import io.converge.server.command.WaitCommand;
import io.converge.server.command.ConnectionCommands;
import io.converge.server.command.NodeServices;
import io.converge.server.command.ServerCommands;
import io.converge.server.command.ShutdownCommand;
import io.converge.server.command.Monitor;
import io.converge.server.command.PubSubCommands;
import io.converge.server.command.LatencyCommand;
import io.converge.server.command.SlowLogCommand;
import io.converge.server.command.TransactionCommands;
import io.converge.server.command.acl.AclCommands;
import io.converge.server.config.ConfigException;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.config.LiveConfig;
import io.converge.server.net.EventLoops;
import io.converge.server.net.NettyServer;
import io.converge.server.node.Drainable;
import io.converge.server.node.Engine;
import io.converge.server.node.NoEngine;
import io.converge.server.scripting.Scripting;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Converge node: configuration, services, engine, command table, network and the
 * periodic task, started and stopped together.
 *
 * <pre>{@code
 * ConvergeNode node = ConvergeNode.builder(config)
 *         .engine(services -> EmbeddedEngine.forNode(services.config(), services.nodeId(), services.info()))
 *         .commands(services -> StringCommands.register(services)) // any number of families
 *         .start();
 * int port = node.port();
 * node.close();
 * }</pre>
 */
public final class ConvergeNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConvergeNode.class);

    private final NodeServices services;
    private final EventLoops loops;
    private final NettyServer server;
    private final ScheduledExecutorService cron;
    private final List<AutoCloseable> extensions;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean closed;
    private boolean shuttingDown;

    private ConvergeNode(NodeServices services, EventLoops loops, NettyServer server, ScheduledExecutorService cron,
                         List<AutoCloseable> extensions) {
        this.services = services;
        this.loops = loops;
        this.server = server;
        this.cron = cron;
        this.extensions = extensions;
    }

    /** A builder for a node with {@code config}. */
    public static Builder builder(ConvergeConfig config) {
        return new Builder(config);
    }

    /** The node's services (config, stats, clients, commands, engine...). */
    public NodeServices services() {
        return services;
    }

    /** The TCP port plaintext clients connect to (0: none, TLS only). */
    public int port() {
        return server.port();
    }

    /** The TCP port TLS clients connect to (0: none). */
    public int tlsPort() {
        return server.tlsPort();
    }

    /** Blocks until the node is closed. */
    public void awaitClose() throws InterruptedException {
        stopped.await();
    }

    /**
     * Stops the node as SHUTDOWN and SIGTERM do: no more clients (the listener and every client
     * connection closed, so nothing more is written), then, unless {@code now}, up to {@code
     * shutdown-timeout} seconds for the parts that hand work over ({@link Drainable}: deltas for
     * the connected peers) to be done, then {@link #close()} (the log flushed and marked clean).
     * Returns once the node is stopped, also when another thread started the shutdown.
     */
    public void shutdown(boolean now) {
        boolean first;
        synchronized (this) {
            first = !closed && !shuttingDown; // otherwise stopping already: just wait for it below
            shuttingDown = true;
        }
        if (first) {
            long timeoutMillis = services.config().current().shutdownTimeout() * 1000L;
            boolean drain = !now && timeoutMillis > 0 && extensions.stream().anyMatch(Drainable.class::isInstance);
            log.info("Shutting down: disconnecting clients{}", drain
                    ? ", then handing replication over to the connected peers (up to " + timeoutMillis / 1000 + " s)" : "");
            server.close();
            if (drain) {
                awaitDrained(timeoutMillis);
            }
            close();
        }
        try {
            awaitClose();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits up to {@code timeoutMillis} until every {@link Drainable} part is drained; logs how it went. */
    private void awaitDrained(long timeoutMillis) {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!closed) { // closed meanwhile (close() called directly): nothing left to wait for
            boolean drained = true;
            for (AutoCloseable part : extensions) {
                drained &= !(part instanceof Drainable d) || d.drained();
            }
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            if (drained) {
                log.info("Handed over in {} ms", elapsed);
                return;
            }
            if (System.nanoTime() >= deadline) {
                log.warn("shutdown-timeout reached after {} ms with replication not all handed over; what is left "
                        + "reaches the peers through hash-tree repair once this node runs again", elapsed);
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops accepting clients, closes connections, stops the engine. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        cron.shutdownNow();
        server.close();
        closeExtensions(extensions);
        loops.close();
        try {
            services.engine().close();
        } catch (RuntimeException e) {
            log.warn("engine did not close cleanly", e);
        }
        log.info("Converge node on port {} stopped", server.port() != 0 ? server.port() : server.tlsPort());
        stopped.countDown();
    }

    /** Closes started extensions, last started first. */
    private static void closeExtensions(List<AutoCloseable> extensions) {
        for (int i = extensions.size() - 1; i >= 0; i--) {
            try {
                extensions.get(i).close();
            } catch (Exception e) {
                log.warn("extension {} did not close cleanly", extensions.get(i), e);
            }
        }
    }

    /** The periodic task: throughput samples, idle-client timeouts, output-limit enforcement. */
    private void cronTick() {
        try {
            long now = System.currentTimeMillis();
            services.stats().sample(now);
            ConvergeConfig config = services.config().current();
            long idleMillis = config.timeout() * 1000;
            for (ClientConnection c : services.clients().all()) {
                if (idleMillis > 0 && now - c.lastInteractionMillis() > idleMillis) {
                    log.debug("Closing idle client {}", c);
                    c.channel().close();
                } else if (c.channel().overOutputLimit(now)) {
                    log.warn("Client {} closed for overcoming of output buffer limits.", c);
                    c.channel().close();
                }
            }
        } catch (RuntimeException e) {
            log.warn("periodic task failed", e);
        }
    }

    /** A part of a node started after its engine and before its network (see {@link Builder#extension}). */
    @FunctionalInterface
    public interface Extension {
        /**
         * Starts the part for the node's {@code services}, with network work on the node's event
         * {@code loops} (shared with the client connections); returns what stops it.
         */
        AutoCloseable start(NodeServices services, EventLoops loops) throws Exception;
    }

    /** Assembles and starts a node. */
    public static final class Builder {
        private final ConvergeConfig config;
        private Function<NodeServices, Engine> engineFactory = services -> new NoEngine();
        private final List<Consumer<NodeServices>> families = new ArrayList<>();
        private final List<Extension> extensions = new ArrayList<>();

        private Builder(ConvergeConfig config) {
            this.config = config;
        }

        /** The storage engine (default: {@link NoEngine}, a node without keyspace). */
        public Builder engine(Function<NodeServices, Engine> factory) {
            this.engineFactory = factory;
            return this;
        }

        /** Registers a command family (called once, before the network starts). */
        public Builder commands(Consumer<NodeServices> family) {
            this.families.add(family);
            return this;
        }

        /**
         * Adds a part started once the engine has started (its data loaded) and before clients
         * are accepted, e.g. the cluster's replication and routing; it may register commands and
         * INFO sections. What it returns is closed when the node stops, after the client network
         * and before the engine.
         */
        public Builder extension(Extension extension) {
            this.extensions.add(extension);
            return this;
        }

        /** Starts the node: resolves the node id, builds the engine, registers commands, binds. */
        public ConvergeNode start() throws Exception {
            String nodeId = resolveNodeId(config);
            ConvergeConfig resolved = config.toBuilder().nodeId(nodeId).dataDir(config.effectiveDataDir()).build();
            NodeServices services = new NodeServices(new LiveConfig(resolved), nodeId, engineFactory);
            ConnectionCommands.register(services.commands());
            ClientCommands.register(services.commands());
            ServerCommands.register(services.commands());
            CommandCommands.register(services.commands());
            TransactionCommands.register(services.commands());
            ShutdownCommand.register(services.commands());
            SlowLogCommand.register(services.commands());
            LatencyCommand.register(services.commands());
            PubSubCommands.register(services.commands());
            AclCommands.register(services.commands());
            AutoCloseable scripting = Scripting.register(services);
            Monitor.register(services.commands());
            WaitCommand.register(services.commands());
            ServerCommands.registerInfo(services);
            for (Consumer<NodeServices> family : families) {
                family.accept(services);
            }
            services.engine().start();
            List<AutoCloseable> started = new ArrayList<>();
            started.add(scripting); // closed last of them, once no client can start a script
            EventLoops loops = new EventLoops(resolved);
            NettyServer server = new NettyServer(services, loops);
            try {
                for (Extension extension : extensions) {
                    started.add(extension.start(services, loops));
                }
                services.acl().start(); // every command is registered now: rules can name them all
                server.start();
            } catch (Exception e) {
                server.close();
                closeExtensions(started);
                loops.close();
                services.engine().close();
                throw e;
            }
            ScheduledExecutorService cron = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "converge-cron");
                t.setDaemon(true);
                return t;
            });
            ConvergeNode node = new ConvergeNode(services, loops, server, cron, started);
            services.onShutdown(now -> {
                Thread t = new Thread(() -> node.shutdown(now), "converge-shutdown-command");
                t.start();
            });
            long period = Math.max(1, 1000 / config.hz());
            cron.scheduleAtFixedRate(node::cronTick, period, period, TimeUnit.MILLISECONDS);
            log.info("Converge node ready on {}{}{} (engine={}, node-id={}, transport={})", config.bind().get(0),
                    server.port() != 0 ? ":" + server.port() : "", server.tlsPort() != 0 ? ", TLS port " + server.tlsPort() : "",
                    services.engine().name(), nodeId, server.transport());
            return node;
        }

        /** The configured node id, or the one kept in data-dir/node-id (created on first start). */
        private static String resolveNodeId(ConvergeConfig config) throws IOException {
            if (!config.nodeId().isEmpty()) {
                return config.nodeId();
            }
            Path dir = config.effectiveDataDir();
            Path file = dir.resolve("node-id");
            try {
                if (Files.exists(file)) {
                    String id = Files.readString(file, StandardCharsets.UTF_8).trim();
                    if (!id.isEmpty()) {
                        return id;
                    }
                }
                Files.createDirectories(dir);
                byte[] random = new byte[8];
                ThreadLocalRandom.current().nextBytes(random);
                String id = HexFormat.of().formatHex(random);
                Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
                return id;
            } catch (IOException e) {
                throw new ConfigException("cannot keep the node id in " + file + ": " + e.getMessage(), e);
            }
        }
    }
}
