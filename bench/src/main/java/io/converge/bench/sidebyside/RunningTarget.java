package io.converge.bench.sidebyside;

import java.util.List;

/**
 * A started system under test: its processes (one for a single server, several for a cluster)
 * and the port the benchmark clients connect to.
 */
public final class RunningTarget implements AutoCloseable {
    private final TargetSpec spec;
    private final List<ServerProcess> processes;
    private final Cleanup cleanup;

    /** Wraps started, ready processes; the first one is where clients connect. */
    public RunningTarget(TargetSpec spec, List<ServerProcess> processes, Cleanup cleanup) {
        if (processes.isEmpty()) {
            throw new IllegalArgumentException("a target needs at least one process");
        }
        this.spec = spec;
        this.processes = List.copyOf(processes);
        this.cleanup = cleanup;
    }

    /** The target's name. */
    public String name() {
        return spec.name();
    }

    /** What it was started from. */
    public TargetSpec spec() {
        return spec;
    }

    /** All of its processes. */
    public List<ServerProcess> processes() {
        return processes;
    }

    /** The process clients connect to. */
    public ServerProcess entryPoint() {
        return processes.get(0);
    }

    /** The port clients connect to on 127.0.0.1. */
    public int clientPort() {
        return entryPoint().port();
    }

    /** Stops every process. */
    @Override
    public void close() {
        for (ServerProcess process : processes) {
            process.close();
            cleanup.unregister(process);
        }
    }
}
