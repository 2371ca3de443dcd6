package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Differential-test support for the hash and set families: scripts whose replies are compared
 * after {@link UnorderedReplies#canonical canonical ordering}, full SCAN-family iterations, and
 * COMMAND INFO comparison.
 */
abstract class HashSetTestBase extends DataDifferentialTestBase {

    /**
     * Runs {@code commands} on one connection to each server and asserts the replies equal once
     * put in canonical order (a failure lists every differing command); returns Converge's.
     */
    protected List<Object> check(int protocol, String[]... commands) {
        List<Object> expected = run(redis, protocol, commands);
        List<Object> actual = run(converge, protocol, commands);
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < commands.length; i++) {
            Object e = UnorderedReplies.canonical(commands[i], expected.get(i));
            Object a = UnorderedReplies.canonical(commands[i], actual.get(i));
            if (!Objects.equals(e, a)) {
                diffs.add("#" + i + " " + String.join(" ", commands[i]) + "\n    redis:    " + e
                        + "\n    converge: " + a);
            }
        }
        assertThat(diffs).as("replies that differ (RESP%d)", protocol).isEmpty();
        return actual;
    }

    /**
     * Runs a whole HSCAN/SSCAN iteration ({@code command key cursor options...}) on {@code c};
     * returns every item returned (duplicates kept) and checks that it ends.
     */
    protected static List<String> scanAll(RespClient c, String command, String key, String... options) {
        List<String> items = new ArrayList<>();
        String cursor = "0";
        int calls = 0;
        do {
            List<String> args = new ArrayList<>(List.of(command, key, cursor));
            args.addAll(List.of(options));
            List<?> reply = (List<?>) c.call(args.toArray(new String[0]));
            cursor = ((Bulk) reply.get(0)).text();
            for (Object item : (List<?>) reply.get(1)) {
                items.add(((Bulk) item).text());
            }
            calls++;
            assertThat(calls).as("%s iteration ends", command).isLessThan(100_000);
        } while (!cursor.equals("0"));
        return items;
    }

    /**
     * Asserts that COMMAND INFO of each command agrees with redis-server on name, arity, flags,
     * key positions, ACL categories and tips (the first eight fields; key specs differ in
     * detail for commands with several specs).
     */
    protected void sameCommandInfo(String... commands) {
        for (int protocol : new int[] {2, 3}) {
            for (String name : commands) {
                List<?> expected = info(redis, protocol, name);
                List<?> actual = info(converge, protocol, name);
                assertThat(actual.subList(0, 8)).as("COMMAND INFO %s (RESP%d)", name, protocol)
                        .isEqualTo(expected.subList(0, 8));
            }
        }
    }

    private static List<?> info(ServerTarget target, int protocol, String name) {
        try (RespClient c = connect(target, protocol)) {
            List<?> reply = (List<?>) c.call("COMMAND", "INFO", name);
            return (List<?>) reply.get(0);
        }
    }

    /** The text of a bulk reply, or null for a null reply. */
    protected static String text(Object reply) {
        return reply instanceof Bulk b ? b.text() : null;
    }
}
