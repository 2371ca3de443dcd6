package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.config.ConvergeConfig;
import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.Simple;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Authentication with requirepass and a named user, against redis-server configured alike. */
class AuthDifferentialTest extends DifferentialTestBase {

    @Override
    protected String[] redisArgs() {
        return new String[] {"--requirepass", "secret", "--user", "alice", "on", ">pw", "~*", "&*", "+@all"};
    }

    @Override
    protected void configureConverge(ConvergeConfig.Builder config) {
        config.requirepass("secret").user("alice", "pw");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2", "3"})
    void beforeAuthentication(String protocol) {
        List<Object> replies = same(2, c -> List.of(
                c.call("PING"),
                c.call("NOSUCH", "x"),
                c.call("ECHO"),
                c.call("CLIENT", "SETNAME", "x"),
                c.call("CLIENT", "NOPE"),
                c.call("HELLO", protocol),
                c.call("HELLO", protocol, "SETNAME", "x"),
                c.call("AUTH", "wrong"),
                c.call("AUTH", "alice", "wrong"),
                c.call("AUTH", "nobody", "pw"),
                c.call("HELLO", protocol, "AUTH", "alice", "wrong"),
                c.call("MULTI"),
                c.call("QUIT")));
        assertThat(replies.get(0)).isEqualTo(new Err("NOAUTH Authentication required."));
        assertThat(replies.get(7)).isEqualTo(new Err("WRONGPASS invalid username-password pair or user is disabled."));
        assertThat(replies.get(12)).isEqualTo(new Simple("OK"));
    }

    @Test
    void authenticatingAndResetting() {
        same(2, c -> List.of(
                c.call("AUTH", "secret"), c.call("PING"), c.call("RESET"), c.call("PING"),
                c.call("AUTH", "alice", "pw"), c.call("PING"), c.call("AUTH", "default", "secret"), c.call("PING")));
        same(2, c -> List.of(c.call("HELLO", "2", "AUTH", "alice", "pw", "SETNAME", "n").getClass().getSimpleName(),
                c.call("CLIENT", "GETNAME"), c.call("PING")));
    }

    @Test
    void unauthenticatedRequestSizeLimits() {
        sameRawExchange("*20\r\n");
        sameRawExchange("*2\r\n$20000\r\n");
        sameRawExchange("*2\r\n$16384\r\n");
        try (RespClient c = new RespClient(converge)) {
            assertThat(c.call("AUTH", "secret")).isEqualTo(new Simple("OK"));
            String[] many = new String[30];
            java.util.Arrays.fill(many, "a");
            many[0] = "ECHO";
            assertThat(c.call(many)).isEqualTo(new Err("ERR wrong number of arguments for 'echo' command"));
        }
    }
}
