package io.converge.server;

import io.converge.server.admin.AdminServer;
import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.ClusterSpecException;
import io.converge.server.cluster.routing.ClusterNode;
import io.converge.server.command.PersistenceCommands;
import io.converge.server.command.data.DataCommandFamilies;
import io.converge.server.config.ConfigException;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.StorageEngine;
import io.converge.server.store.persist.Persistence;
import java.nio.file.Path;

/**
 * The one place that decides what a production node is made of: which engine and which command
 * families. The CLI and the test fixtures start nodes through here, so a new command family
 * registered below is served by {@code ./converge server} and covered by the differential tests.
 */
public final class NodeLauncher {
    private NodeLauncher() {}

    /**
     * Starts a node with {@code config}: a single node, or, when the {@code cluster} key names a
     * cluster description, node {@code node-id} of that cluster.
     */
    public static ConvergeNode start(ConvergeConfig config) throws Exception {
        if (config.clustered()) {
            ClusterSpec spec;
            try {
                spec = ClusterSpec.load(Path.of(config.cluster()));
            } catch (ClusterSpecException e) {
                throw new ConfigException(e.getMessage(), e);
            }
            return start(config, spec);
        }
        return builder(config).start();
    }

    /**
     * Starts node {@code config.nodeId()} of the cluster {@code spec}: its client port (and listen
     * address, unless {@code bind} is set) come from the description, its peer transport,
     * replication and request routing start with it (see docs/cluster.md).
     */
    public static ConvergeNode start(ConvergeConfig config, ClusterSpec spec) throws Exception {
        ConvergeNode.Builder builder = builder(ClusterNode.place(config, spec));
        builder.extension((services, loops) -> ClusterNode.start(services, spec, loops));
        return builder.start();
    }

    private static ConvergeNode.Builder builder(ConvergeConfig config) {
        ConvergeNode.Builder builder = ConvergeNode.builder(config);
        // The embedded engine (config "engine: embedded", the only one so far) with its
        // persistence (append-only log, snapshots, HLC high-water mark; see docs/persistence.md)
        // and every data-command family (see DataCommandFamilies) over it.
        builder.engine(services -> {
            EmbeddedEngine engine = EmbeddedEngine.forNode(services.config(), services.nodeId(), services.info());
            Persistence persistence = Persistence.attach(engine, services.config(), services.info());
            PersistenceCommands.register(services.commands(), persistence);
            return engine;
        });
        builder.commands(services -> DataCommandFamilies.register(services, (StorageEngine) services.engine()));
        if (config.adminPort() > 0) {
            builder.extension((services, loops) -> AdminServer.start(services));
        }
        return builder;
    }
}
