package io.converge.server.command.data;

import io.converge.server.command.NodeServices;
import io.converge.server.store.StorageEngine;

/**
 * Registers every data-command family on a node, over its storage engine. A new family adds one
 * line here ({@code XxxCommands.register(services, engine);}); {@code NodeLauncher} calls
 * {@link #register} once at startup.
 */
public final class DataCommandFamilies {
    private DataCommandFamilies() {}

    /** Registers all data-command families with {@code engine}. */
    public static void register(NodeServices services, StorageEngine engine) {
        KeyCommands.register(services, engine);
        StringCommands.register(services, engine);
        ServerDataCommands.register(services, engine);
        MemoryCommands.register(services, engine);
        SortedSetCommands.register(services, engine);
        HashCommands.register(services, engine);
        SetCommands.register(services, engine);
        ListCommands.register(services, engine);
        HyperLogLogCommands.register(services, engine);
        BitmapCommands.register(services, engine);
        StreamCommands.register(services, engine);
        ObjectCommands.register(services, engine);
        LcsCommand.register(services, engine);
        DumpRestoreCommands.register(services, engine);
        DebugCommand.register(services, engine);
        SortCommand.register(services, engine);
    }
}
