package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessTargetTest {
    @TempDir
    Path logs;

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void startsAServerThatAnswersAndStopsIt() throws Exception {
        Cleanup cleanup = new Cleanup();
        RunningTarget redis = ProcessTarget.redisServer("redis", "redis-server").start(logs, Duration.ofSeconds(20), cleanup);
        ServerProcess process = redis.entryPoint();
        try (RespConnection connection = process.connect(Duration.ofSeconds(5))) {
            assertThat(connection.call("PING")).isEqualTo("PONG");
            assertThat(connection.call("CONFIG", "GET", "save")).isEqualTo(List.of("save", ""));
            assertThat(connection.call("CONFIG", "GET", "appendonly")).isEqualTo(List.of("appendonly", "no"));
        }
        assertThat(redis.clientPort()).isEqualTo(process.port()).isPositive();
        assertThat(MemoryProbe.residentBytes(process.pid()).orElseThrow()).isPositive();

        redis.close();

        assertThat(process.isAlive()).isFalse();
        assertThat(accepts(process.port())).isFalse();
        cleanup.close();
    }

    @Test
    void aShellCommandRunsAsTheServerItselfSoItsPidIsTheServers() throws Exception {
        ProcessTarget target = new ProcessTarget("shell", CommandTemplate.ofShell(
                "redis-server --port {port} --save '' --appendonly no"), null);
        try (Cleanup cleanup = new Cleanup(); RunningTarget running = target.start(logs, Duration.ofSeconds(20), cleanup)) {
            try (RespConnection connection = running.entryPoint().connect(Duration.ofSeconds(5))) {
                String info = (String) connection.call("INFO", "server");

                assertThat(MemoryProbe.infoField(info, "process_id")).hasValue(running.entryPoint().pid());
            }
            assertThat(running.entryPoint().commandLine()).doesNotContain("{port}")
                    .contains("--port " + running.clientPort());
        }
    }

    @Test
    void aServerThatExitsIsReportedWithTheEndOfItsLog() {
        ProcessTarget broken = new ProcessTarget("broken", CommandTemplate.ofShell(
                "redis-server --port {port} --no-such-option 1"), null);

        assertThatThrownBy(() -> broken.start(logs, Duration.ofSeconds(20), new Cleanup()))
                .isInstanceOf(ServerProcess.ServerStartException.class)
                .hasMessageContaining("broken exited with code")
                .hasMessageContaining("no-such-option");
    }

    @Test
    void aServerThatNeverAnswersIsStoppedAfterTheTimeout() throws Exception {
        // sleep never listens; "{port}" is just an ignored argument of the shell's no-op ":"
        ProcessTarget silent = new ProcessTarget("silent", CommandTemplate.ofShell("sleep 60; : {port}"), null);
        Cleanup cleanup = new Cleanup();
        long start = System.nanoTime();

        assertThatThrownBy(() -> silent.start(logs, Duration.ofSeconds(1), cleanup))
                .isInstanceOf(ServerProcess.ServerStartException.class)
                .hasMessageContaining("silent did not answer PING on port");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        assertThat(ProcessHandle.current().children().filter(p -> p.info().command().orElse("").endsWith("sleep")))
                .as("the silent server was stopped").isEmpty();
    }

    @Test
    void cleanupStopsWhatWasRegisteredEvenWithoutClosingTheTarget() throws Exception {
        Cleanup cleanup = new Cleanup();
        RunningTarget redis = ProcessTarget.redisServer("redis", "redis-server").start(logs, Duration.ofSeconds(20), cleanup);

        cleanup.close();

        assertThat(redis.entryPoint().isAlive()).isFalse();
    }

    @Test
    void commandTemplatesNeedThePortPlaceholder() {
        assertThatThrownBy(() -> CommandTemplate.ofShell("redis-server --port 6379"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{port}");
        CommandTemplate template = CommandTemplate.ofArgs(List.of("redis-server", "--port", "{port}", "--save", ""));
        assertThat(template.forPort(7001)).containsExactly("redis-server", "--port", "7001", "--save", "");
        assertThat(template.displayForPort(7001)).isEqualTo("redis-server --port 7001 --save ''");
        assertThat(CommandTemplate.ofShell("a {port}").forPort(5)).containsExactly("/bin/sh", "-c", "exec a 5");
    }
}
