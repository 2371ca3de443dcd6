package io.converge.server.testing;

import io.converge.server.ConvergeNode;
import io.converge.server.NodeLauncher;
import io.converge.server.config.ConvergeConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * An in-process Converge node on an ephemeral port with its data in a temporary directory,
 * started through {@link NodeLauncher} (so it has the same engine and commands as a production
 * node). Stop it with {@link #close()}.
 *
 * <pre>{@code
 * try (ConvergeFixture node = ConvergeFixture.start(c -> c.requirepass("secret"))) { ... }
 * }</pre>
 */
public final class ConvergeFixture implements ServerTarget {
    private final ConvergeNode node;
    private final Path dir;

    private ConvergeFixture(ConvergeNode node, Path dir) {
        this.node = node;
        this.dir = dir;
    }

    /** Starts a node with default configuration. */
    public static ConvergeFixture start() {
        return start(b -> { });
    }

    /** Starts a node; {@code customize} adjusts the configuration (port and data-dir are set already). */
    public static ConvergeFixture start(Consumer<ConvergeConfig.Builder> customize) {
        Path dir;
        try {
            dir = Files.createTempDirectory("converge-fixture");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ConvergeConfig.Builder b = ConvergeConfig.builder().port(0).dataDir(dir);
        customize.accept(b);
        try {
            return new ConvergeFixture(NodeLauncher.start(b.build()), dir);
        } catch (Exception e) {
            TempDirs.delete(dir);
            throw new IllegalStateException("Converge node did not start", e);
        }
    }

    /** The running node (services, config, stats...). */
    public ConvergeNode node() {
        return node;
    }

    @Override
    public String name() {
        return "converge";
    }

    @Override
    public int port() {
        return node.port();
    }

    @Override
    public boolean isRedis() {
        return false;
    }

    /** Stops the node and removes its directory. */
    @Override
    public void close() {
        node.close();
        TempDirs.delete(dir);
    }

    @Override
    public String toString() {
        return "converge:" + port();
    }
}
