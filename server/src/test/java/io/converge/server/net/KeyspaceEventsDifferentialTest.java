package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keyspace notifications against a real redis-server: the same commands, with the same
 * {@code notify-keyspace-events}, must publish the same events in the same order on the same
 * channels; and CONFIG SET / GET of the setting answer as Redis.
 */
class KeyspaceEventsDifferentialTest extends DifferentialTestBase {

    private static final String[][] COMMANDS = {
            {"SET", "ks:s", "v"}, {"SET", "ks:s", "v", "EX", "100"}, {"SETNX", "ks:s", "v2"},
            {"SETEX", "ks:e", "100", "v"}, {"GETSET", "ks:s", "v3"}, {"APPEND", "ks:s", "more"},
            {"SETRANGE", "ks:s", "1", "xy"}, {"SETRANGE", "ks:s", "1", ""}, {"INCR", "ks:n"}, {"INCRBY", "ks:n", "5"},
            {"DECR", "ks:n"}, {"INCRBYFLOAT", "ks:f", "1.5"}, {"MSET", "ks:m1", "a", "ks:m2", "b"},
            {"MSETNX", "ks:m3", "a", "ks:m1", "b"}, {"GETEX", "ks:m1", "EX", "100"}, {"GETEX", "ks:m1", "PERSIST"},
            {"GETEX", "ks:m1", "PERSIST"}, {"GETDEL", "ks:m2"}, {"EXPIRE", "ks:m1", "100"}, {"PERSIST", "ks:m1"},
            {"PERSIST", "ks:m1"}, {"EXPIRE", "ks:m1", "-1"}, {"DEL", "ks:s", "ks:none"}, {"RENAME", "ks:n", "ks:n2"},
            {"HSET", "ks:h", "a", "1", "b", "2"}, {"HSETNX", "ks:h", "a", "3"}, {"HSETNX", "ks:h", "c", "3"},
            {"HINCRBY", "ks:h", "a", "2"}, {"HINCRBYFLOAT", "ks:h", "b", "0.5"}, {"HDEL", "ks:h", "zz"},
            {"HDEL", "ks:h", "a", "b", "c"}, {"SADD", "ks:set", "a", "b", "c"}, {"SADD", "ks:set", "a"},
            {"SREM", "ks:set", "a"}, {"SPOP", "ks:set"}, {"SPOP", "ks:set", "5"}, {"SADD", "ks:s1", "x", "y"},
            {"SMOVE", "ks:s1", "ks:s2", "x"}, {"SMOVE", "ks:s1", "ks:s2", "y"}, {"SINTERSTORE", "ks:dst", "ks:s2", "ks:none"},
            {"SUNIONSTORE", "ks:dst", "ks:s2"}, {"SDIFFSTORE", "ks:dst", "ks:none"}, {"ZADD", "ks:z", "1", "a", "2", "b"},
            {"ZADD", "ks:z", "NX", "1", "a"}, {"ZINCRBY", "ks:z", "1", "a"}, {"ZADD", "ks:z", "INCR", "1", "b"},
            {"ZREM", "ks:z", "a"}, {"ZADD", "ks:z", "3", "c", "4", "d", "5", "e"}, {"ZREMRANGEBYRANK", "ks:z", "0", "0"},
            {"ZREMRANGEBYSCORE", "ks:z", "4", "4"}, {"ZREMRANGEBYLEX", "ks:z", "-", "+"},
            {"ZADD", "ks:z", "1", "a", "2", "b", "3", "c"}, {"ZPOPMIN", "ks:z"}, {"ZPOPMAX", "ks:z", "5"},
            {"ZADD", "ks:za", "1", "a"}, {"ZUNIONSTORE", "ks:zd", "1", "ks:za"},
            {"ZINTERSTORE", "ks:zd", "2", "ks:za", "ks:none"}, {"ZDIFFSTORE", "ks:zd", "2", "ks:za", "ks:none"},
            {"ZDIFFSTORE", "ks:zd", "2", "ks:za", "ks:za"}, {"ZUNION", "2", "ks:za", "ks:none"},
            {"ZINTERCARD", "1", "ks:none"}, {"GET", "ks:none"}, {"HGET", "ks:none", "f"},
            {"GET", "ks:za"}, {"EXISTS", "ks:none"}, {"PFADD", "ks:hll", "a", "b"}, {"PFADD", "ks:hll", "a"},
            {"PFADD", "ks:hll"}, {"PFADD", "ks:hll2"}, {"PFCOUNT", "ks:hll"}, {"PFMERGE", "ks:hll3", "ks:hll", "ks:none"},
            {"PFMERGE", "ks:hll"}, {"PFADD", "ks:s", "x"}, {"PFCOUNT", "ks:none"},
            {"PFCOUNT", "ks:none", "ks:hll", "ks:none2"}, {"PFMERGE", "ks:hll4", "ks:none", "ks:hll"}, {"FLUSHALL"},
    };

    /** The events {@code target} publishes for {@link #COMMANDS} with {@code classes}, up to a marker. */
    private static List<Object> events(ServerTarget target, String classes, long waitMillis) {
        try (RespClient sub = connect(target, 2); RespClient c = connect(target, 2)) {
            assertThat(c.call("FLUSHALL")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(c.call("CONFIG", "SET", "notify-keyspace-events", classes)).isEqualTo(new RespClient.Simple("OK"));
            try {
                sub.call("PSUBSCRIBE", "__key*__:*");
                for (String[] command : COMMANDS) {
                    c.call(command);
                }
                if (waitMillis > 0) {
                    c.call("SET", "ks:short", "v", "PX", "20");
                    sleep(waitMillis);
                }
                // The marker: events of the string and generic classes, so every test sees one.
                c.call("SET", "ks:end", "x");
                c.call("EXPIRE", "ks:end", "100");
                List<Object> out = new ArrayList<>();
                while (true) {
                    Object m = sub.read();
                    out.add(m);
                    if (m instanceof List<?> l && (l.get(3).equals(new Bulk("ks:end"))
                            || l.get(2).equals(new Bulk("__keyspace@0__:ks:end")))) {
                        return out;
                    }
                }
            } finally {
                c.call("CONFIG", "SET", "notify-keyspace-events", "");
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"KEA", "KEAn", "KEm$"})
    void everyClassOnBothChannels(String classes) {
        List<Object> expected = events(redis, classes, 0);
        assertThat(events(converge, classes, 0)).isEqualTo(expected);
        assertThat(expected).hasSizeGreaterThan(30);
    }

    @Test
    void newKeyAndExpiredEventsOnTheKeyeventChannel() {
        List<Object> expected = events(redis, "Enx$", 400);
        assertThat(events(converge, "Enx$", 400)).isEqualTo(expected);
        assertThat(expected.toString()).contains("expired", "new");
    }

    @Test
    void onlyTheChosenClassesOnTheKeyspaceChannel() {
        List<Object> expected = events(redis, "Kgz", 0);
        assertThat(events(converge, "Kgz", 0)).isEqualTo(expected);
    }

    @Test
    void configSetAndGet() {
        for (String classes : new String[] {"KEA", "Kg$lshzxetmdn", "Ex", "", "g", "AKE", "KEAn", "nK", "m"}) {
            same(2, c -> List.of(c.call("CONFIG", "SET", "notify-keyspace-events", classes),
                    c.call("CONFIG", "GET", "notify-keyspace-events")));
        }
        sameReply(2, "CONFIG", "SET", "notify-keyspace-events", "Q");
        sameReply(2, "CONFIG", "SET", "notify-keyspace-events", "");
    }
}
