package io.converge.server.command.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * List commands against redis-server and Converge, raw RESP2 and RESP3: equal replies, error
 * texts included, and a fixed-seed random command stream over a few keys that compares every
 * reply (index and range edges, negative indices, counts, moves between keys).
 */
class ListCommandsTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void pushPopAndRead(int protocol) {
        script(protocol,
                cmd("RPUSH", "l", "a", "b", "c"),
                cmd("LPUSH", "l", "x", "y", "z"),
                cmd("LRANGE", "l", "0", "-1"),
                cmd("LLEN", "l"),
                cmd("LLEN", "nokey"),
                cmd("TYPE", "l"),
                cmd("LPUSHX", "nokey", "a"),
                cmd("RPUSHX", "nokey", "a"),
                cmd("EXISTS", "nokey"),
                cmd("LPUSHX", "l", "h1", "h2"),
                cmd("RPUSHX", "l", "t1"),
                cmd("LRANGE", "l", "0", "-1"),
                cmd("LINDEX", "l", "0"),
                cmd("LINDEX", "l", "-1"),
                cmd("LINDEX", "l", "-100"),
                cmd("LINDEX", "l", "100"),
                cmd("LINDEX", "nokey", "0"),
                cmd("LINDEX", "l", "x"),
                cmd("LPOP", "l"),
                cmd("RPOP", "l"),
                cmd("LPOP", "l", "2"),
                cmd("RPOP", "l", "2"),
                cmd("LPOP", "l", "0"),
                cmd("LPOP", "nokey"),
                cmd("LPOP", "nokey", "0"),
                cmd("LPOP", "nokey", "3"),
                cmd("RPOP", "l", "-1"),
                cmd("RPOP", "l", "x"),
                cmd("LPOP", "l", "1", "2"),
                cmd("LRANGE", "l", "0", "-1"),
                cmd("LPOP", "l", "100"),
                cmd("EXISTS", "l"),
                cmd("LPOP", "l"),
                cmd("RPUSH", "e", ""),
                cmd("LRANGE", "e", "0", "-1"),
                cmd("RPUSH", "bin", "bin\u0000\r\n\u00e9"),
                cmd("LRANGE", "bin", "0", "-1"),
                cmd("LPUSH"),
                cmd("LPUSH", "l"),
                cmd("DBSIZE"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void ranges(int protocol) {
        List<String[]> commands = new ArrayList<>();
        commands.add(cmd("RPUSH", "r", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
        String[] bounds = {"0", "1", "-1", "-2", "5", "9", "10", "-10", "-11", "100", "-100"};
        for (String a : bounds) {
            for (String b : bounds) {
                commands.add(cmd("LRANGE", "r", a, b));
            }
        }
        commands.add(cmd("LRANGE", "r", "a", "1"));
        commands.add(cmd("LRANGE", "r", "0", "9223372036854775807"));
        commands.add(cmd("LRANGE", "r", "-9223372036854775808", "2"));
        commands.add(cmd("LRANGE", "nokey", "0", "-1"));
        script(protocol, commands.toArray(new String[0][]));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void trims(int protocol) {
        List<String[]> commands = new ArrayList<>();
        String[] bounds = {"0", "1", "-1", "-3", "4", "7", "8", "-8", "-9", "100", "-100"};
        for (String a : bounds) {
            for (String b : bounds) {
                commands.add(cmd("DEL", "t"));
                commands.add(cmd("RPUSH", "t", "a", "b", "c", "d", "e", "f", "g", "h"));
                commands.add(cmd("LTRIM", "t", a, b));
                commands.add(cmd("LRANGE", "t", "0", "-1"));
                commands.add(cmd("EXISTS", "t"));
            }
        }
        commands.add(cmd("LTRIM", "nokey", "0", "1"));
        commands.add(cmd("LTRIM", "t", "x", "1"));
        script(protocol, commands.toArray(new String[0][]));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void setInsertRemoveAndPos(int protocol) {
        script(protocol,
                cmd("RPUSH", "l", "a", "b", "a", "c", "a", "b"),
                cmd("LSET", "l", "1", "B"),
                cmd("LSET", "l", "-1", "last"),
                cmd("LSET", "l", "6", "x"),
                cmd("LSET", "l", "-7", "x"),
                cmd("LSET", "nokey", "0", "x"),
                cmd("LSET", "l", "x", "x"),
                cmd("LRANGE", "l", "0", "-1"),
                cmd("LINSERT", "l", "BEFORE", "a", "before-a"),
                cmd("LINSERT", "l", "after", "c", "after-c"),
                cmd("LINSERT", "l", "after", "last", "tail"),
                cmd("LINSERT", "l", "before", "before-a", "head"),
                cmd("LINSERT", "l", "before", "zz", "x"),
                cmd("LINSERT", "nokey", "before", "a", "x"),
                cmd("LINSERT", "l", "middle", "a", "x"),
                cmd("LRANGE", "l", "0", "-1"),
                cmd("LINSERT", "l", "after", "a", "i1"),
                cmd("LINSERT", "l", "after", "a", "i2"),
                cmd("LINSERT", "l", "after", "i2", "i3"),
                cmd("LINSERT", "l", "before", "i3", "i4"),
                cmd("LRANGE", "l", "0", "-1"),
                cmd("LPOS", "l", "a"),
                cmd("LPOS", "l", "a", "RANK", "2"),
                cmd("LPOS", "l", "a", "RANK", "-1"),
                cmd("LPOS", "l", "a", "RANK", "-2"),
                cmd("LPOS", "l", "a", "RANK", "5"),
                cmd("LPOS", "l", "a", "COUNT", "0"),
                cmd("LPOS", "l", "a", "COUNT", "2"),
                cmd("LPOS", "l", "a", "COUNT", "2", "RANK", "-1"),
                cmd("LPOS", "l", "a", "MAXLEN", "3"),
                cmd("LPOS", "l", "a", "MAXLEN", "3", "COUNT", "0"),
                cmd("LPOS", "l", "a", "RANK", "-1", "MAXLEN", "2"),
                cmd("LPOS", "l", "zz"),
                cmd("LPOS", "l", "zz", "COUNT", "0"),
                cmd("LPOS", "nokey", "a"),
                cmd("LPOS", "nokey", "a", "COUNT", "1"),
                cmd("LPOS", "l", "a", "RANK", "0"),
                cmd("LPOS", "l", "a", "COUNT", "-1"),
                cmd("LPOS", "l", "a", "MAXLEN", "-1"),
                cmd("LPOS", "l", "a", "RANK"),
                cmd("LPOS", "l", "a", "FOO", "1"),
                cmd("LPOS", "l", "a", "RANK", "x"),
                cmd("LREM", "l", "1", "a"),
                cmd("LRANGE", "l", "0", "-1"),
                cmd("LREM", "l", "-1", "a"),
                cmd("LRANGE", "l", "0", "-1"),
                cmd("RPUSH", "l", "a", "a", "a"),
                cmd("LREM", "l", "0", "a"),
                cmd("LREM", "l", "0", "zz"),
                cmd("LREM", "nokey", "0", "a"),
                cmd("LREM", "l", "x", "a"),
                cmd("LRANGE", "l", "0", "-1"),
                cmd("RPUSH", "one", "v"),
                cmd("LREM", "one", "0", "v"),
                cmd("EXISTS", "one"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void movesAndMultiPops(int protocol) {
        script(protocol,
                cmd("RPUSH", "src", "1", "2", "3", "4"),
                cmd("LMOVE", "src", "dst", "LEFT", "RIGHT"),
                cmd("LMOVE", "src", "dst", "right", "left"),
                cmd("LMOVE", "src", "src", "LEFT", "RIGHT"),
                cmd("LRANGE", "src", "0", "-1"),
                cmd("LRANGE", "dst", "0", "-1"),
                cmd("RPOPLPUSH", "src", "dst"),
                cmd("RPOPLPUSH", "src", "src"),
                cmd("RPOPLPUSH", "nokey", "dst"),
                cmd("LMOVE", "nokey", "dst", "LEFT", "LEFT"),
                cmd("LMOVE", "src", "dst", "UP", "LEFT"),
                cmd("SET", "str", "x"),
                cmd("LMOVE", "src", "str", "LEFT", "LEFT"),
                cmd("LMOVE", "str", "dst", "LEFT", "LEFT"),
                cmd("RPOPLPUSH", "nokey", "str"),
                cmd("LRANGE", "src", "0", "-1"),
                cmd("RPOPLPUSH", "src", "dst"),
                cmd("EXISTS", "src"),
                cmd("LRANGE", "dst", "0", "-1"),
                cmd("RPUSH", "m2", "a", "b", "c"),
                cmd("LMPOP", "2", "m1", "m2", "LEFT"),
                cmd("LMPOP", "2", "m1", "m2", "RIGHT", "COUNT", "5"),
                cmd("LMPOP", "2", "m1", "m2", "RIGHT"),
                cmd("LMPOP", "1", "dst", "left", "count", "2"),
                cmd("LMPOP", "0", "dst", "left"),
                cmd("LMPOP", "-1", "dst", "left"),
                cmd("LMPOP", "x", "dst", "left"),
                cmd("LMPOP", "1", "dst", "middle"),
                cmd("LMPOP", "2", "dst", "left"),
                cmd("LMPOP", "1", "dst", "left", "count", "0"),
                cmd("LMPOP", "1", "dst", "left", "count", "x"),
                cmd("LMPOP", "1", "dst", "left", "count", "1", "count", "1"),
                cmd("LMPOP", "1", "dst", "left", "foo"),
                cmd("LMPOP", "1", "str", "left"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void wrongTypes(int protocol) {
        script(protocol,
                cmd("SET", "s", "x"),
                cmd("LPUSH", "s", "a"),
                cmd("RPUSHX", "s", "a"),
                cmd("LPOP", "s"),
                cmd("LPOP", "s", "0"),
                cmd("LLEN", "s"),
                cmd("LRANGE", "s", "0", "1"),
                cmd("LINDEX", "s", "0"),
                cmd("LSET", "s", "0", "a"),
                cmd("LINSERT", "s", "before", "a", "b"),
                cmd("LREM", "s", "0", "a"),
                cmd("LTRIM", "s", "0", "1"),
                cmd("LPOS", "s", "a"),
                cmd("RPUSH", "l", "a"),
                cmd("GET", "l"),
                cmd("SADD", "l", "a"),
                cmd("SET", "l", "over"),
                cmd("TYPE", "l"),
                cmd("RPUSH", "l2", "a", "b"),
                cmd("EXPIRE", "l2", "100"),
                cmd("TTL", "l2"),
                cmd("RENAME", "l2", "l3"),
                cmd("LRANGE", "l3", "0", "-1"),
                cmd("TTL", "l3"),
                cmd("COPY", "l3", "l4"),
                cmd("LRANGE", "l4", "0", "-1"),
                cmd("LPOP", "l3", "2"),
                cmd("TTL", "l3"),
                cmd("EXISTS", "l3"));
    }

    /**
     * COMMAND INFO of every list command and of the multi-key and blocking sorted-set pops equals
     * Redis's (arity, flags, key positions, ACL categories, tips, key specifications).
     */
    @Test
    void commandInfoMatchesRedis() {
        for (String name : new String[] {"lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange",
            "lindex", "lset", "linsert", "lrem", "ltrim", "lpos", "lmove", "rpoplpush", "lmpop", "blpop", "brpop",
            "blmove", "brpoplpush", "blmpop", "zmpop", "bzpopmin", "bzpopmax", "bzmpop", "copy", "dump", "restore"}) {
            script(2, cmd("COMMAND", "INFO", name));
        }
    }

    /** A fixed-seed stream of list commands on a few keys, every reply compared with redis-server's. */
    @Test
    void randomOperationsMatchRedis() {
        for (int protocol : new int[] {2, 3}) {
            Random random = new Random(0x11575L + protocol);
            String prefix = "rl:" + protocol + ":";
            try (ZSetTwins t = new ZSetTwins(redis, converge, protocol)) {
                for (int i = 0; i < 800; i++) {
                    t.check(next(random, prefix));
                }
                for (int k = 0; k < 3; k++) {
                    t.check("LRANGE", prefix + k, "0", "-1");
                }
            }
        }
    }

    private static String[] next(Random random, String prefix) {
        String k = prefix + random.nextInt(3);
        String other = prefix + random.nextInt(3);
        String v = "v" + random.nextInt(6);
        String i = Integer.toString(random.nextInt(13) - 6);
        String j = Integer.toString(random.nextInt(13) - 6);
        String end = random.nextBoolean() ? "LEFT" : "RIGHT";
        String end2 = random.nextBoolean() ? "LEFT" : "RIGHT";
        return switch (random.nextInt(20)) {
            case 0, 1, 2 -> cmd("RPUSH", k, v, "w" + random.nextInt(4));
            case 3, 4 -> cmd("LPUSH", k, v);
            case 5 -> cmd(random.nextBoolean() ? "LPUSHX" : "RPUSHX", k, v);
            case 6 -> random.nextBoolean() ? cmd("LPOP", k) : cmd("RPOP", k, Integer.toString(random.nextInt(4)));
            case 7 -> cmd("LRANGE", k, i, j);
            case 8 -> cmd("LINDEX", k, i);
            case 9 -> cmd("LSET", k, i, v);
            case 10 -> cmd("LINSERT", k, random.nextBoolean() ? "BEFORE" : "AFTER", v, "ins" + random.nextInt(3));
            case 11 -> cmd("LREM", k, Integer.toString(random.nextInt(5) - 2), v);
            case 12 -> cmd("LTRIM", k, i, Integer.toString(random.nextInt(20) - 3));
            case 13 -> cmd("LPOS", k, v, "RANK", random.nextBoolean() ? "1" : "-2", "COUNT",
                    Integer.toString(random.nextInt(3)));
            case 14 -> cmd("LMOVE", k, other, end, end2);
            case 15 -> cmd("RPOPLPUSH", k, other);
            case 16 -> cmd("LMPOP", "2", k, other, end, "COUNT", Integer.toString(1 + random.nextInt(3)));
            case 17 -> cmd("LLEN", k);
            case 18 -> cmd("LPOS", k, v);
            default -> cmd("LRANGE", k, "0", "-1");
        };
    }
}
