package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.ConvergeFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** redis-cli, the tool users reach for first, works against a Converge node. */
class RedisCliSmokeTest {
    private static ConvergeFixture node;

    @BeforeAll
    static void start() {
        node = ConvergeFixture.start();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static String cli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(node.port())));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("redis-cli finished").isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    @Test
    void pingEchoAndErrors() throws Exception {
        assertThat(cli("ping")).isEqualTo("PONG");
        assertThat(cli("echo", "hello world")).isEqualTo("hello world");
        assertThat(cli("select", "1")).isEqualTo("ERR DB index is out of range");
        assertThat(cli("nosuch", "a")).isEqualTo("ERR unknown command 'nosuch', with args beginning with: 'a'");
        assertThat(cli("-3", "ping")).isEqualTo("PONG");
        assertThat(cli("info", "server")).contains("redis_version:", "tcp_port:" + node.port());
        assertThat(cli("client", "setname", "cli")).isEqualTo("OK");
    }
}
