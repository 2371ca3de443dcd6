package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * A target that is one server process started from a command template on a free port.
 *
 * @param name    short name for tables
 * @param command how to start it, with {@value CommandTemplate#PORT} for the port
 * @param goal    what it should achieve against the baseline, or null for the baseline
 */
public record ProcessTarget(String name, CommandTemplate command, PerformanceGoal goal) implements TargetSpec {
    /** How often to retry when another process grabbed the port between picking and binding. */
    private static final int PORT_ATTEMPTS = 3;

    /** A redis-server without persistence, the usual baseline. */
    public static ProcessTarget redisServer(String name, String redisServerBinary) {
        return new ProcessTarget(name, CommandTemplate.ofArgs(List.of(redisServerBinary,
                "--port", CommandTemplate.PORT, "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no")), null);
    }

    @Override
    public String description() {
        return command.display();
    }

    @Override
    public RunningTarget start(Path logDir, Duration readyTimeout, Cleanup cleanup) throws IOException {
        for (int attempt = 1; ; attempt++) {
            int port = FreePorts.pick();
            ServerProcess process = cleanup.register(ServerProcess.launch(name, command.forPort(port),
                    command.displayForPort(port), port, logDir.resolve(name + ".log")));
            try {
                process.awaitReady(readyTimeout);
                return new RunningTarget(this, List.of(process), cleanup);
            } catch (ServerProcess.ServerStartException e) {
                process.close();
                cleanup.unregister(process);
                boolean portTaken = e.logTail().toLowerCase(Locale.ROOT).contains("in use");
                if (!portTaken || attempt == PORT_ATTEMPTS) {
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                process.close();
                cleanup.unregister(process);
                throw e;
            }
        }
    }
}
