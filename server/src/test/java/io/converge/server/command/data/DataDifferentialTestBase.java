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

    /**
     * Like {@link #script}, except that two bulk replies that are both decimal numbers also count
     * as equal when they agree to {@code long double} precision (relative difference at most
     * 1e-18, same number of integer digits): Redis prints the binary rounding of its C
     * {@code long double} in full (1e4932 reads 1000000000000000000006018...), where Converge
     * keeps exact decimals (1000...0). Every other reply must be equal.
     */
    protected List<Object> scriptNumbers(int protocol, String[]... commands) {
        List<Object> expected = run(redis, protocol, commands);
        List<Object> actual = run(converge, protocol, commands);
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < commands.length; i++) {
            if (!java.util.Objects.equals(expected.get(i), actual.get(i)) && !sameNumber(expected.get(i), actual.get(i))) {
                diffs.add("#" + i + " " + abbreviate(String.join(" ", commands[i])) + "\n    redis:    "
                        + abbreviate(String.valueOf(expected.get(i))) + "\n    converge: "
                        + abbreviate(String.valueOf(actual.get(i))));
            }
        }
        assertThat(diffs).as("replies that differ (RESP%d)", protocol).isEmpty();
        return actual;
    }

    /** Whether two replies are bulk decimals (or arrays of them) equal to long double precision (see {@link #scriptNumbers}). */
    static boolean sameNumber(Object redisReply, Object convergeReply) {
        if (redisReply instanceof List<?> rs && convergeReply instanceof List<?> cs) {
            if (rs.size() != cs.size()) {
                return false;
            }
            for (int i = 0; i < rs.size(); i++) {
                if (!java.util.Objects.equals(rs.get(i), cs.get(i)) && !sameNumber(rs.get(i), cs.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (!(redisReply instanceof RespClient.Bulk r) || !(convergeReply instanceof RespClient.Bulk c)) {
            return false;
        }
        java.math.BigDecimal x;
        java.math.BigDecimal y;
        try {
            x = new java.math.BigDecimal(r.text());
            y = new java.math.BigDecimal(c.text());
        } catch (NumberFormatException e) {
            return false;
        }
        if (x.precision() - x.scale() != y.precision() - y.scale() && x.signum() != 0 && y.signum() != 0) {
            return false;
        }
        java.math.BigDecimal tolerance = x.abs().max(y.abs()).multiply(new java.math.BigDecimal("1e-18"));
        return x.subtract(y).abs().compareTo(tolerance) <= 0;
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 90) + "...(" + s.length() + " chars)..." + s.substring(s.length() - 90);
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
