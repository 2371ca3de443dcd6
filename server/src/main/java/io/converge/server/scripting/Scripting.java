package io.converge.server.scripting;

import io.converge.server.command.NodeServices;
import io.converge.server.node.Version;

/** Lua scripting on a node: the script cache, the runner and the EVAL and SCRIPT commands. */
public final class Scripting {
    private Scripting() {}

    /**
     * Registers the scripting commands of {@code services} (call before the network starts); the
     * {@link ScriptCache} is attached to the services, for the cluster layer to share it.
     */
    public static void register(NodeServices services) {
        ScriptCache cache = new ScriptCache();
        ScriptRunner runner = new ScriptRunner(services, Version.REDIS_COMPATIBLE);
        services.attach(ScriptCache.class, cache);
        new ScriptCommands(cache, runner).register(services.commands());
    }
}
