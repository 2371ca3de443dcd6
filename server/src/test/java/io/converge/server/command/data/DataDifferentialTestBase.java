package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;

/**
 * Differential tests of data commands: both servers start each test with an empty keyspace, and
 * {@link #script} runs a list of commands on one connection to each and asserts the replies
 * equal (RESP2 or RESP3), error texts included.
 */
abstract class DataDifferentialTestBase extends DifferentialTestBase {

    @BeforeEach
    void flushBoth() {
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                c.call("FLUSHALL");
            }
        }
    }

    /** One command: its arguments. */
    static String[] cmd(String... args) {
        return args;
    }

    /**
     * Runs {@code commands} in order on one connection to each server and asserts every reply
     * equal (a failure lists each differing command with both replies); returns the replies.
     */
    protected List<Object> script(int protocol, String[]... commands) {
        List<Object> expected = run(redis, protocol, commands);
        List<Object> actual = run(converge, protocol, commands);
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < commands.length; i++) {
            if (!java.util.Objects.equals(expected.get(i), actual.get(i))) {
                diffs.add("#" + i + " " + String.join(" ", commands[i]) + "\n    redis:    " + expected.get(i)
                        + "\n    converge: " + actual.get(i));
            }
        }
        assertThat(diffs).as("replies that differ (RESP%d)", protocol).isEmpty();
        return actual;
    }

    /** The replies to {@code commands} on a fresh connection to {@code target}. */
    protected static List<Object> run(ServerTarget target, int protocol, String[]... commands) {
        try (RespClient c = connect(target, protocol)) {
            List<Object> replies = new ArrayList<>();
            for (String[] command : commands) {
                replies.add(c.call(command));
            }
            return replies;
        }
    }
}
