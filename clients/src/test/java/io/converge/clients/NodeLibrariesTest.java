package io.converge.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Node.js libraries against a 3-node cluster: Bull (its queue is Lua scripts, lists, pub/sub and
 * blocking pops) with the producer on node 1 and the worker on node 2, rate-limiter-flexible's
 * Redis limiter (a Lua script), and the Socket.IO Redis adapter (two Socket.IO servers whose
 * adapters use nodes 1 and 2: broadcasts and fetchSockets cross the cluster through pub/sub). The
 * packages are installed from the npm registry into {@code target/node} (versions pinned in
 * {@code src/test/resources/node/package.json}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeLibrariesTest {
    private Path dir;
    private LocalCluster cluster;

    @BeforeAll
    void installAndStart() throws Exception {
        dir = Path.of("target", "node").toAbsolutePath();
        Files.createDirectories(dir);
        for (String file : List.of("package.json", "run.js", "socketio.js")) {
            try (InputStream in = NodeLibrariesTest.class.getResourceAsStream("/node/" + file)) {
                Files.copy(in, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Result install = run(dir, 300, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error");
        assertThat(install.exitCode).as("npm install (Node.js and npm are needed: apt-get install nodejs npm):\n%s",
                install.output).isZero();
        cluster = LocalCluster.start();
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void bullAndRateLimiterFlexibleWorkOnTheCluster() throws Exception {
        Result result = run(dir, 120, "node", "run.js", Integer.toString(cluster.port(1)),
                Integer.toString(cluster.port(2)));
        assertThat(result.exitCode).as(result.output).isZero();
        assertThat(result.output).contains("bull sum=" + (2 * (49 * 50 / 2)) + " completed=50 waiting=0 failed=0");
        assertThat(result.output).contains("ratelimiter allowed=5 refused=3");
    }

    @Test
    void socketIoServersOnTwoNodesBroadcastToEachOthersClients() throws Exception {
        Result result = run(dir, 60, "node", "socketio.js", Integer.toString(cluster.port(1)),
                Integer.toString(cluster.port(2)));
        assertThat(result.exitCode).as(result.output).isZero();
        assertThat(result.output).contains("socketio received=A:from-a,A:from-b,B:from-a,B:from-b sockets=2");
    }

    private record Result(int exitCode, String output) {}

    private static Result run(Path dir, int timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("node-run", ".txt");
        try {
            Process p;
            try {
                p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(out.toFile()).start();
            } catch (IOException e) {
                return new Result(-1, command[0] + " not found: " + e.getMessage());
            }
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, Files.readString(out, StandardCharsets.UTF_8) + "\n(timed out)");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
