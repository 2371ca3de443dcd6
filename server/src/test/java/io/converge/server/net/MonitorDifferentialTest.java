package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Simple;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * MONITOR against a real redis-server: which commands are shown and how (quoting, escapes,
 * redacted AUTH), and what a monitoring client may still do. Timestamps and client addresses
 * differ by nature: each line's prefix is checked against Redis's form, then compared without it.
 */
class MonitorDifferentialTest extends DifferentialTestBase {
    private static final Pattern PREFIX = Pattern.compile("^\\d{10}\\.\\d{6} \\[0 127\\.0\\.0\\.1:\\d+\\] ");

    private static List<String> monitored(ServerTarget target) {
        try (RespClient monitor = connect(target, 2); RespClient c = connect(target, 2)) {
            assertThat(monitor.call("MONITOR")).isEqualTo(new Simple("OK"));
            c.call("SET", "a", "hello world");
            c.call("SET", "b", "q\"uo\\te\n\r\t\u0007\b\u0000\u00ff end");
            c.call("AUTH", "secret");
            c.call("AUTH", "user", "secret");
            c.call("HELLO", "2");
            c.call("CONFIG", "GET", "maxmemory");
            c.call("MULTI");
            c.call("INCR", "c");
            c.call("EXEC");
            c.call("NOPE");
            c.call("GET");
            c.call("CLIENT", "SETNAME", "x");
            c.call("MONITOR");
            c.call("ECHO", "end");
            List<String> lines = new ArrayList<>();
            while (true) {
                Object line = monitor.read();
                assertThat(line).isInstanceOf(Simple.class);
                String text = ((Simple) line).text();
                assertThat(text).as("the prefix on %s", target.name()).containsPattern(PREFIX);
                String stripped = PREFIX.matcher(text).replaceFirst("");
                lines.add(stripped);
                if (stripped.startsWith("\"ECHO\"")) {
                    return lines;
                }
            }
        }
    }

    @Test
    void theCommandsShownAndTheirQuoting() {
        List<String> expected = monitored(redis);
        List<String> actual = monitored(converge);
        assertThat(actual).isEqualTo(expected);
        assertThat(actual).contains("\"AUTH\" \"(redacted)\"", "\"INCR\" \"c\"").doesNotContain("\"NOPE\"");
    }

    @Test
    void aMonitoringClientStaysOutOfTheKeyspace() {
        same(2, c -> {
            List<Object> r = new ArrayList<>();
            r.add(c.call("MONITOR"));
            c.send(RespClient.encode("MONITOR")); // no reply at all when already monitoring
            r.add(c.call("GET", "x"));
            r.add(c.call("SET", "x", "1"));
            r.add(c.call("PING"));
            r.add(PREFIX.matcher(((Simple) c.read()).text()).replaceFirst("")); // its own PING, after the reply
            r.add(c.call("RESET"));
            r.add(c.call("GET", "x"));
            return r;
        });
    }
}
