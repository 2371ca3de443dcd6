package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import io.converge.server.testing.ServerTarget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DUMP and RESTORE on redis-server and Converge: each server restores its own payloads (the
 * formats differ on purpose), and every observation (replies, values read back, TTLs, errors)
 * must be the same; a payload from the other server is refused by both.
 */
class DumpRestoreTest extends DataDifferentialTestBase {

    @Test
    void roundTripsOfEveryTypeWithTheirOptionsAndErrors() {
        List<Object> expected = scenario(redis);
        List<Object> actual = scenario(converge);
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void aPayloadFromTheOtherServerIsRefused() {
        byte[] fromRedis = dumpOf(redis);
        byte[] fromConverge = dumpOf(converge);
        try (RespClient r = new RespClient(redis);
             RespClient c = new RespClient(converge)) {
            Object toConverge = c.call(bytes("RESTORE"), bytes("x"), bytes("0"), fromRedis);
            Object toRedis = r.call(bytes("RESTORE"), bytes("x"), bytes("0"), fromConverge);
            assertThat(toConverge).isEqualTo(new RespClient.Err("ERR DUMP payload version or checksum are wrong"));
            assertThat(toRedis).isEqualTo(toConverge);
        }
    }

    private static byte[] dumpOf(ServerTarget t) {
        try (RespClient c = new RespClient(t)) {
            c.call("SET", "d", "value");
            return ((RespClient.Bulk) c.call("DUMP", "d")).text().getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    private static List<Object> scenario(ServerTarget t) {
        List<Object> seen = new ArrayList<>();
        try (RespClient c = new RespClient(t)) {
            c.call("FLUSHALL");
            seen.add(c.call("SET", "s", "hello\u0000\r\nbin"));
            seen.add(c.call("HSET", "h", "f1", "v1", "f2", "2"));
            seen.add(c.call("HINCRBY", "h", "f2", "40"));
            seen.add(c.call("SADD", "set", "a", "b", "c"));
            seen.add(c.call("ZADD", "z", "1.5", "a", "-2", "b", "inf", "c"));
            seen.add(c.call("RPUSH", "l", "x", "y", "x"));
            seen.add(c.call("DUMP", "nokey"));
            for (String key : new String[] {"s", "h", "set", "z", "l"}) {
                byte[] payload = ((RespClient.Bulk) c.call("DUMP", key)).text().getBytes(StandardCharsets.ISO_8859_1);
                seen.add(restore(c, key, "0", payload));
                seen.add(restore(c, key + ":copy", "0", payload));
                seen.add(restore(c, key, "0", payload, "REPLACE"));
                seen.add(c.call("TYPE", key + ":copy"));
                seen.add(restore(c, key + ":ttl", "100000", payload));
                seen.add(c.call("PTTL", key + ":ttl") instanceof Long ms && ms > 90_000 && ms <= 100_000);
                seen.add(restore(c, key + ":abs", "4102444800000", payload, "ABSTTL"));
                seen.add(c.call("PEXPIRETIME", key + ":abs"));
                seen.add(restore(c, key + ":past", "1", payload, "ABSTTL"));
                seen.add(c.call("EXISTS", key + ":past"));
                seen.add(restore(c, key, "1", payload, "ABSTTL", "REPLACE"));
                seen.add(c.call("EXISTS", key));
                byte[] broken = payload.clone();
                broken[0] ^= 0x55;
                seen.add(restore(c, key + ":bad", "0", broken));
                seen.add(restore(c, key + ":bad", "0", new byte[] {1, 2}));
            }
            seen.add(c.call("GET", "s:copy"));
            seen.add(c.call("HGETALL", "h:copy"));
            seen.add(c.call("SMEMBERS", "set:copy") instanceof List<?> l ? l.size() : -1);
            seen.add(c.call("ZRANGE", "z:copy", "0", "-1", "WITHSCORES"));
            seen.add(c.call("LRANGE", "l:copy", "0", "-1"));
            byte[] payload = ((RespClient.Bulk) c.call("DUMP", "s:copy")).text().getBytes(StandardCharsets.ISO_8859_1);
            seen.add(restore(c, "e1", "-1", payload));
            seen.add(restore(c, "e2", "x", payload));
            seen.add(restore(c, "e3", "0", payload, "IDLETIME", "-1"));
            seen.add(restore(c, "e4", "0", payload, "FREQ", "256"));
            seen.add(restore(c, "e5", "0", payload, "IDLETIME", "5", "FREQ", "5"));
            seen.add(restore(c, "e6", "0", payload, "FOO"));
            seen.add(restore(c, "e7", "0", payload, "IDLETIME", "10"));
            seen.add(restore(c, "e8", "0", payload, "FREQ", "10"));
            seen.add(c.call("GET", "e8"));
            seen.add(restore(c, "s:copy", "-1", payload));
            seen.add(c.call("RESTORE", "k", "0"));
            seen.add(c.call("DBSIZE"));
        }
        return seen;
    }

    private static Object restore(RespClient c, String key, String ttl, byte[] payload, String... options) {
        List<byte[]> args = new ArrayList<>(List.of(bytes("RESTORE"), bytes(key), bytes(ttl), payload));
        for (String o : options) {
            args.add(bytes(o));
        }
        return c.call(args.toArray(new byte[0][]));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
