package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.store.StorageEngine;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.Verbatim;
import io.converge.server.testing.ServerTarget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keyspace-touching server commands (DBSIZE, FLUSHDB, FLUSHALL, INFO keyspace), maxmemory's OOM
 * refusal and WATCH/MULTI/EXEC over real keys, against redis-server and Converge.
 */
class ServerDataCommandsTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void memoryUsageArgumentsAndMissingKeys(int protocol) {
        script(protocol,
                cmd("FLUSHALL"),
                cmd("MEMORY", "USAGE", "nokey"),
                cmd("MEMORY", "USAGE", "nokey", "SAMPLES", "0"),
                cmd("MEMORY", "USAGE", "nokey", "SAMPLES", "-1"),
                cmd("MEMORY", "USAGE", "nokey", "SAMPLES", "x"),
                cmd("MEMORY", "USAGE", "nokey", "SAMPLES"),
                cmd("MEMORY", "USAGE", "nokey", "foo"),
                cmd("MEMORY", "USAGE"),
                cmd("MEMORY", "nope"),
                cmd("MEMORY"),
                cmd("MEMORY", "PURGE"),
                cmd("SET", "gone", "1"),
                cmd("DEL", "gone"),
                cmd("MEMORY", "USAGE", "gone"),
                cmd("COMMAND", "INFO", "memory|usage"));
    }

    @Test
    void memoryUsageGrowsWithTheValueAndIsNotAKeyspaceRead() {
        try (RespClient c = new RespClient(converge)) {
            c.call("SET", "small", "x");
            c.call("SET", "large", "x".repeat(10_000)); // a key as long as "small"
            c.call("HSET", "h", "f1", "v".repeat(100), "f2", "v".repeat(100));
            long small = (Long) c.call("MEMORY", "USAGE", "small");
            long large = (Long) c.call("MEMORY", "USAGE", "large");
            assertThat(large - small).isEqualTo(10_000 - 1);
            assertThat((Long) c.call("MEMORY", "USAGE", "h", "SAMPLES", "0")).isGreaterThan(200L);
            String before = ((RespClient.Bulk) c.call("INFO", "stats")).text();
            c.call("MEMORY", "USAGE", "small");
            c.call("MEMORY", "USAGE", "nokey");
            String after = ((RespClient.Bulk) c.call("INFO", "stats")).text();
            assertThat(field(after, "keyspace_hits")).isEqualTo(field(before, "keyspace_hits"));
            assertThat(field(after, "keyspace_misses")).isEqualTo(field(before, "keyspace_misses"));
            c.call("DEL", "small", "large", "h");
        }
    }

    private static String field(String info, String name) {
        for (String line : info.split("\r\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1);
            }
        }
        throw new AssertionError(name + " missing from INFO");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void dbsizeAndFlush(int protocol) {
        script(protocol,
                cmd("DBSIZE"),
                cmd("MSET", "a", "1", "b", "2", "c", "3"),
                cmd("ZADD", "z", "1", "m"),
                cmd("DBSIZE"),
                cmd("DEL", "a"),
                cmd("DBSIZE"),
                cmd("FLUSHDB", "ASYNC"),
                cmd("DBSIZE"),
                cmd("EXISTS", "b", "c", "z"),
                cmd("SET", "a", "1"),
                cmd("FLUSHALL", "sync"),
                cmd("DBSIZE"),
                cmd("SET", "a", "1"),
                cmd("FLUSHDB"),
                cmd("GET", "a"),
                cmd("FLUSHALL", "foo"),
                cmd("FLUSHALL", "ASYNC", "SYNC"),
                cmd("FLUSHDB", "lazy"),
                cmd("DBSIZE", "x"),
                cmd("SET", "after", "flush"),
                cmd("GET", "after"));
    }

    @Test
    void infoKeyspaceCountsKeysAndExpires() {
        assertThat(keyspaceLine(converge)).isEqualTo(keyspaceLine(redis)).isNull();
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                c.call("MSET", "a", "1", "b", "2", "c", "3");
                c.call("SET", "t1", "v", "EX", "1000");
                c.call("ZADD", "t2", "1", "m");
                c.call("EXPIRE", "t2", "1000");
            }
        }
        assertThat(keyspaceLine(converge)).isEqualTo(keyspaceLine(redis)).isEqualTo("db0:keys=5,expires=2");
    }

    /** The db0 line of INFO keyspace without its avg_ttl (which Redis estimates), or null. */
    private static String keyspaceLine(ServerTarget t) {
        try (RespClient c = new RespClient(t)) {
            String info = ((Bulk) c.call("INFO", "keyspace")).text();
            for (String line : info.split("\r\n")) {
                if (line.startsWith("db0:")) {
                    return line.substring(0, line.indexOf(",avg_ttl="));
                }
            }
            return null;
        }
    }

    @Test
    void infoMemoryReportsHeapDatasetEstimateAndLimit() {
        try (RespClient c = new RespClient(converge)) {
            c.call("SET", "k", "x".repeat(10_000));
            Object reply = c.call("INFO", "memory");
            String info = reply instanceof Verbatim v ? v.text() : ((Bulk) reply).text();
            assertThat(info).contains("# Memory\r\n", "used_memory:", "used_memory_dataset_estimate:",
                    "maxmemory:0\r\n", "maxmemory_policy:noeviction\r\n");
            long estimate = Long.parseLong(info.replaceAll("(?s).*used_memory_dataset_estimate:(\\d+).*", "$1"));
            assertThat(estimate).as("dataset estimate covers the 10 kB value").isBetween(10_000L, 11_000L);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void maxmemoryRefusesDenyoomCommands(int protocol) {
        try {
            List<Object> r = script(protocol,
                    cmd("SET", "a", "1"),
                    cmd("SET", "big", "x".repeat(5000)),
                    cmd("CONFIG", "SET", "maxmemory", "1"),
                    cmd("SET", "b", "1"),
                    cmd("INCR", "a"),
                    cmd("APPEND", "a", "x"),
                    cmd("MSET", "c", "1"),
                    cmd("SETNX", "c", "1"),
                    cmd("INCRBYFLOAT", "a", "1"),
                    cmd("SET", "b"),
                    cmd("GET", "a"),
                    cmd("EXISTS", "a", "big"),
                    cmd("EXPIRE", "a", "1000"),
                    cmd("TTL", "a"),
                    cmd("GETDEL", "big"),
                    cmd("CONFIG", "SET", "maxmemory", "0"),
                    cmd("SET", "b", "1"),
                    cmd("GET", "b"));
            assertThat(r.get(3)).isEqualTo(new Err("OOM command not allowed when used memory > 'maxmemory'."));
        } finally {
            for (ServerTarget t : List.of(redis, converge)) {
                try (RespClient c = new RespClient(t)) {
                    c.call("CONFIG", "SET", "maxmemory", "0");
                }
            }
        }
    }

    @Test
    void onlyNoevictionIsAccepted() {
        try (RespClient c = new RespClient(converge)) {
            assertThat(c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")).isInstanceOf(Err.class)
                    .extracting(e -> ((Err) e).text()).asString().contains("noeviction");
            assertThat(c.call("CONFIG", "SET", "maxmemory-policy", "noeviction")).isEqualTo(new RespClient.Simple("OK"));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void watchMultiExecOverRealKeys(int protocol) {
        List<Object> expected = watchProgram(redis, protocol);
        assertThat(watchProgram(converge, protocol)).isEqualTo(expected);
    }

    private static List<Object> watchProgram(ServerTarget t, int protocol) {
        List<Object> out = new ArrayList<>();
        try (RespClient c = connect(t, protocol); RespClient other = connect(t, protocol)) {
            {
                // A write by another client between WATCH and EXEC aborts the transaction.
                out.add(c.call("SET", "k", "0"));
                out.add(c.call("WATCH", "k"));
                out.add(other.call("INCR", "k"));
                out.add(c.call("MULTI"));
                out.add(c.call("INCR", "k"));
                out.add(c.call("EXEC"));
                out.add(c.call("GET", "k"));
                // Untouched: EXEC runs, atomically.
                out.add(c.call("WATCH", "k"));
                out.add(c.call("MULTI"));
                out.add(c.call("INCR", "k"));
                out.add(c.call("SET", "j", "x"));
                out.add(c.call("GET", "j"));
                out.add(c.call("EXEC"));
                // A watched missing key created and deleted by another client: still a change.
                out.add(c.call("WATCH", "ghost"));
                out.add(other.call("SET", "ghost", "1"));
                out.add(other.call("DEL", "ghost"));
                out.add(c.call("MULTI"));
                out.add(c.call("GET", "ghost"));
                out.add(c.call("EXEC"));
                // Deleting a watched key aborts; a failed command inside EXEC does not.
                out.add(c.call("WATCH", "j"));
                out.add(other.call("DEL", "j"));
                out.add(c.call("MULTI"));
                out.add(c.call("EXEC"));
                out.add(c.call("MULTI"));
                out.add(c.call("SET", "s", "abc"));
                out.add(c.call("INCR", "s"));
                out.add(c.call("GET", "s"));
                out.add(c.call("EXEC"));
                // FLUSHALL touches watched keys.
                out.add(c.call("WATCH", "k"));
                out.add(other.call("FLUSHALL"));
                out.add(c.call("MULTI"));
                out.add(c.call("GET", "k"));
                out.add(c.call("EXEC"));
                // A read by another client changes nothing.
                out.add(c.call("SET", "r", "1"));
                out.add(c.call("WATCH", "r"));
                out.add(other.call("GET", "r"));
                out.add(other.call("EXISTS", "r"));
                out.add(c.call("MULTI"));
                out.add(c.call("GET", "r"));
                out.add(c.call("EXEC"));
            }
        }
        return out;
    }

    @Test
    void watchedKeyThatExpiresAbortsExec() throws InterruptedException {
        List<Object> expected = watchThenExpire(redis);
        assertThat(watchThenExpire(converge)).isEqualTo(expected);
    }

    private static List<Object> watchThenExpire(ServerTarget t) throws InterruptedException {
        try (RespClient c = new RespClient(t)) {
            List<Object> out = new ArrayList<>();
            out.add(c.call("SET", "short", "v", "PX", "150"));
            out.add(c.call("WATCH", "short"));
            Thread.sleep(400);
            out.add(c.call("MULTI"));
            out.add(c.call("GET", "short"));
            out.add(c.call("EXEC"));
            return out;
        }
    }

    /**
     * COMMAND INFO of every command of the key, string and keyspace-server families equals
     * Redis's (arity, flags, key positions, ACL categories, tips, key-spec flags). SET and GETEX
     * (Redis adds a "notes" text to their key spec) and RENAME/RENAMENX (two key specs) are
     * compared on everything but the key specifications.
     */
    @Test
    void commandInfoMatchesRedis() {
        String[] exact = {"get", "setnx", "setex", "psetex", "getset", "getdel", "mget", "mset", "msetnx", "append",
            "strlen", "getrange", "setrange", "incr", "decr", "incrby", "decrby", "incrbyfloat", "del", "unlink",
            "exists", "type", "touch", "expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl", "expiretime",
            "pexpiretime", "persist", "keys", "scan", "randomkey", "dbsize", "flushdb", "flushall"};
        for (String name : exact) {
            script(2, cmd("COMMAND", "INFO", name));
        }
        for (String name : new String[] {"set", "getex", "rename", "renamenx"}) {
            List<?> expected = (List<?>) ((List<?>) run(redis, 2, cmd("COMMAND", "INFO", name)).get(0)).get(0);
            List<?> actual = (List<?>) ((List<?>) run(converge, 2, cmd("COMMAND", "INFO", name)).get(0)).get(0);
            assertThat(actual.subList(0, 8)).as(name).isEqualTo(expected.subList(0, 8));
        }
    }

    @Test
    void flushallIsADeleteDeltaPerObservedKey() {
        StorageEngine engine = (StorageEngine) converge.node().services().engine();
        try (RespClient c = new RespClient(converge)) {
            c.call("MSET", "f:1", "a", "f:2", "b", "f:3", "c");
            c.call("ZADD", "f:z", "1", "m");
            List<String> deleted = new CopyOnWriteArrayList<>();
            StorageEngine.DeltaListener listener = (key, delta) -> {
                if (!delta.exists()) {
                    deleted.add(new String(key, StandardCharsets.UTF_8));
                }
            };
            engine.addDeltaListener(listener);
            assertThat(c.call("FLUSHALL")).isEqualTo(new RespClient.Simple("OK"));
            assertThat(deleted).containsExactlyInAnyOrder("f:1", "f:2", "f:3", "f:z");
            assertThat(c.call("DBSIZE")).isEqualTo(0L);
        }
    }
}
