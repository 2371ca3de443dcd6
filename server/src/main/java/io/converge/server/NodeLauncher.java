package io.converge.server;

import io.converge.server.command.data.DataCommandFamilies;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.StorageEngine;
import io.converge.server.store.persist.Persistence;

/**
 * The one place that decides what a production node is made of: which engine and which command
 * families. The CLI and the test fixtures start nodes through here, so a new command family
 * registered below is served by {@code ./converge server} and covered by the differential tests.
 */
public final class NodeLauncher {
    private NodeLauncher() {}

    /** Starts a node with {@code config}. */
    public static ConvergeNode start(ConvergeConfig config) throws Exception {
        ConvergeNode.Builder builder = ConvergeNode.builder(config);
        // The embedded engine (config "engine: embedded", the only one so far) with its
        // persistence (append-only log, snapshots, HLC high-water mark; see docs/persistence.md)
        // and every data-command family (see DataCommandFamilies) over it.
        builder.engine(services -> Persistence.attach(new EmbeddedEngine(services), services));
        builder.commands(services -> DataCommandFamilies.register(services, (StorageEngine) services.engine()));
        return builder.start();
    }
}
