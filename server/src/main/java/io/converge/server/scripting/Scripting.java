package io.converge.server.scripting;

import io.converge.server.command.NodeServices;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.node.Version;

/** Lua scripting on a node: the script cache, the function libraries, the runner, EVAL, SCRIPT, FUNCTION and FCALL. */
public final class Scripting {
    private Scripting() {}

    /**
     * Registers the scripting commands of {@code services} (call before the network starts); the
     * {@link ScriptCache} and the {@link FunctionLibraries} (loaded from the data directory) are
     * attached to the services, for the cluster layer to share them. Returns what to close when
     * the node stops (the script thread and the Lua states).
     */
    public static AutoCloseable register(NodeServices services) {
        ScriptCache cache = new ScriptCache();
        ScriptRunner runner = new ScriptRunner(services, Version.REDIS_COMPATIBLE);
        ConvergeConfig config = services.config().current();
        FunctionLibraries libraries = new FunctionLibraries(config.effectiveDataDir().resolve("functions.bin"),
                services.nodeId());
        services.attach(ScriptCache.class, cache);
        services.attach(FunctionLibraries.class, libraries);
        new ScriptCommands(cache, runner).register(services.commands());
        new FunctionCommands(libraries, runner).register(services.commands());
        // Redis 7.0's INFO memory fields for scripts (the Lua states' memory is outside the heap).
        services.info().add("memory", out -> out.field("number_of_cached_scripts", cache.size())
                .field("used_memory_scripts_eval", cache.bytes())
                .field("number_of_libraries", libraries.live().size()));
        return runner;
    }
}
