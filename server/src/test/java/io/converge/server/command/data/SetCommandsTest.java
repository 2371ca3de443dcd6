package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.RespSet;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Set commands against redis-server and Converge, raw RESP2 and RESP3: equal replies (after
 * canonical ordering where Redis leaves the order open), error texts included; properties of
 * SPOP and SRANDMEMBER; full SSCAN iterations; a fixed-seed random command stream.
 */
class SetCommandsTest extends HashSetTestBase {

    private static final String WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void addRemoveAndQuery(int protocol) {
        check(protocol,
                cmd("SADD", "s", "a", "b", "c"),
                cmd("SADD", "s", "a", "d", "d"),
                cmd("SADD", "s", ""),
                cmd("SADD", "s", "bin\u0000\r\n\u00e9"),
                cmd("SCARD", "s"),
                cmd("SCARD", "nokey"),
                cmd("SISMEMBER", "s", "a"),
                cmd("SISMEMBER", "s", "zz"),
                cmd("SISMEMBER", "s", ""),
                cmd("SISMEMBER", "s", "bin\u0000\r\n\u00e9"),
                cmd("SISMEMBER", "nokey", "a"),
                cmd("SMISMEMBER", "s", "a", "zz", "b", "a"),
                cmd("SMISMEMBER", "nokey", "a", "b"),
                cmd("SMEMBERS", "s"),
                cmd("SMEMBERS", "nokey"),
                cmd("SREM", "s", "a", "zz", "a"),
                cmd("SREM", "nokey", "a"),
                cmd("SMEMBERS", "s"),
                cmd("TYPE", "s"),
                cmd("SADD", "ints", "1", "2", "3", "-5", "100"),
                cmd("SMEMBERS", "ints"),
                cmd("SADD", "ints", "x"),
                cmd("SMEMBERS", "ints"),
                cmd("SREM", "ints", "1", "2", "3", "-5", "100", "x"),
                cmd("EXISTS", "ints"),
                cmd("TYPE", "ints"),
                cmd("SCARD", "ints"),
                cmd("SMEMBERS", "ints"),
                cmd("DBSIZE"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void arityAndSyntaxErrors(int protocol) {
        check(protocol,
                cmd("SADD", "s"),
                cmd("SREM", "s"),
                cmd("SMEMBERS"),
                cmd("SMEMBERS", "s", "t"),
                cmd("SISMEMBER", "s"),
                cmd("SISMEMBER", "s", "a", "b"),
                cmd("SMISMEMBER", "s"),
                cmd("SCARD"),
                cmd("SPOP"),
                cmd("SRANDMEMBER"),
                cmd("SSCAN", "s"),
                cmd("SMOVE", "a", "b"),
                cmd("SMOVE", "a", "b", "c", "d"),
                cmd("SINTER"),
                cmd("SUNION"),
                cmd("SDIFF"),
                cmd("SINTERSTORE", "d"),
                cmd("SUNIONSTORE", "d"),
                cmd("SDIFFSTORE", "d"),
                cmd("SINTERCARD", "1"),
                cmd("SADD", "s", "a"),
                cmd("SPOP", "s", "1", "2"),
                cmd("SRANDMEMBER", "s", "1", "2"),
                cmd("SPOP", "nokey", "1", "2"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void wrongType(int protocol) {
        List<Object> replies = check(protocol,
                cmd("SET", "str", "x"),
                cmd("SADD", "str", "a"),
                cmd("SREM", "str", "a"),
                cmd("SMEMBERS", "str"),
                cmd("SISMEMBER", "str", "a"),
                cmd("SMISMEMBER", "str", "a"),
                cmd("SCARD", "str"),
                cmd("SPOP", "str"),
                cmd("SPOP", "str", "2"),
                cmd("SPOP", "str", "-2"),
                cmd("SRANDMEMBER", "str"),
                cmd("SRANDMEMBER", "str", "2"),
                cmd("SRANDMEMBER", "str", "x"),
                cmd("SSCAN", "str", "0"),
                cmd("SSCAN", "str", "x"),
                cmd("SINTER", "str"),
                cmd("SINTER", "nokey", "str"),
                cmd("SUNION", "nokey", "str"),
                cmd("SDIFF", "nokey", "str"),
                cmd("SDIFF", "str", "nokey"),
                cmd("SINTERCARD", "2", "nokey", "str"),
                cmd("SADD", "s", "a"),
                cmd("SMOVE", "str", "s", "a"),
                cmd("SMOVE", "s", "str", "a"),
                cmd("SMOVE", "nokey", "str", "a"),
                cmd("SINTERSTORE", "d", "s", "str"),
                cmd("SMEMBERS", "s"),
                cmd("GET", "str"),
                cmd("HSET", "h", "f", "v"),
                cmd("SADD", "h", "a"),
                cmd("SCARD", "h"));
        assertThat(replies.get(1)).isEqualTo(new Err(WRONGTYPE));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void removingTheLastMemberDeletesTheKey(int protocol) {
        check(protocol,
                cmd("SADD", "s", "a", "b"),
                cmd("SREM", "s", "a", "b"),
                cmd("EXISTS", "s"),
                cmd("TYPE", "s"),
                cmd("SMEMBERS", "s"),
                cmd("SADD", "s", "c"),
                cmd("SMEMBERS", "s"),
                // A TTL dies with the key: re-creating the set starts without one.
                cmd("EXPIRE", "s", "100"),
                cmd("SREM", "s", "c"),
                cmd("SADD", "s", "d"),
                cmd("TTL", "s"),
                cmd("EXPIRE", "s", "100"),
                cmd("SPOP", "s"),
                cmd("EXISTS", "s"),
                cmd("SADD", "s", "e"),
                cmd("TTL", "s"),
                cmd("EXPIRE", "s", "100"),
                cmd("SMOVE", "s", "other", "e"),
                cmd("EXISTS", "s"),
                cmd("SADD", "s", "f"),
                cmd("TTL", "s"),
                cmd("TTL", "other"),
                cmd("DEL", "s"),
                cmd("SADD", "s", "g"),
                cmd("SMEMBERS", "s"),
                cmd("SET", "str", "x"),
                cmd("DEL", "str"),
                cmd("SADD", "str", "now a set"),
                cmd("TYPE", "str"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void spopAndSrandmemberDeterministicCases(int protocol) {
        check(protocol,
                cmd("SPOP", "nokey"),
                cmd("SPOP", "nokey", "0"),
                cmd("SPOP", "nokey", "3"),
                cmd("SPOP", "nokey", "-1"),
                cmd("SPOP", "nokey", "x"),
                cmd("SRANDMEMBER", "nokey"),
                cmd("SRANDMEMBER", "nokey", "0"),
                cmd("SRANDMEMBER", "nokey", "5"),
                cmd("SRANDMEMBER", "nokey", "-5"),
                cmd("SRANDMEMBER", "nokey", "-9223372036854775807"),
                cmd("SRANDMEMBER", "nokey", "-9223372036854775808"),
                cmd("SRANDMEMBER", "nokey", "x"),
                cmd("SADD", "s", "a", "b", "c"),
                cmd("SRANDMEMBER", "s", "0"),
                cmd("SRANDMEMBER", "s", "3"),
                cmd("SRANDMEMBER", "s", "1000"),
                cmd("SRANDMEMBER", "s", "9223372036854775807"),
                cmd("SRANDMEMBER", "s", "1.5"),
                cmd("SRANDMEMBER", "s", "-9223372036854775808"),
                cmd("SPOP", "s", "0"),
                cmd("SPOP", "s", "-1"),
                cmd("SPOP", "s", "1.0"),
                cmd("SPOP", "s", "9223372036854775808"),
                cmd("SCARD", "s"),
                cmd("SADD", "one", "only"),
                cmd("SRANDMEMBER", "one"),
                cmd("SRANDMEMBER", "one", "-3"),
                cmd("SPOP", "one"),
                cmd("EXISTS", "one"),
                cmd("SPOP", "s", "3"),
                cmd("EXISTS", "s"),
                cmd("SADD", "s", "a", "b"),
                cmd("SPOP", "s", "9223372036854775807"),
                cmd("EXISTS", "s"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void spopAndSrandmemberPickMembers(int protocol) {
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = connect(t, protocol)) {
                Set<String> members = new HashSet<>();
                List<String> args = new ArrayList<>(List.of("SADD", "r"));
                for (int i = 0; i < 400; i++) {
                    members.add("m" + i);
                    args.add("m" + i);
                }
                c.call(args.toArray(new String[0]));
                assertThat(members).as(t.name()).contains(text(c.call("SRANDMEMBER", "r")));
                for (int count : new int[] {1, 3, 100, 250, 399}) {
                    List<String> picked = texts(c.call("SRANDMEMBER", "r", Integer.toString(count)));
                    assertThat(picked).as("%s count %d", t.name(), count).hasSize(count).doesNotHaveDuplicates();
                    assertThat(members).containsAll(picked);
                }
                List<String> repeated = texts(c.call("SRANDMEMBER", "r", "-2000"));
                assertThat(repeated).as(t.name()).hasSize(2000);
                assertThat(members).containsAll(repeated);
                assertThat(new HashSet<>(repeated).size()).as("repeats allowed, spread").isGreaterThan(200);
                assertThat(c.call("SCARD", "r")).isEqualTo(400L);

                String popped = text(c.call("SPOP", "r"));
                assertThat(members.remove(popped)).as(t.name()).isTrue();
                Object reply = c.call("SPOP", "r", "150");
                if (protocol == 3) {
                    assertThat(reply).as("RESP3 SPOP with count is a set").isInstanceOf(RespSet.class);
                    reply = ((RespSet) reply).items();
                }
                List<String> batch = texts(reply);
                assertThat(batch).as(t.name()).hasSize(150).doesNotHaveDuplicates();
                assertThat(members).containsAll(batch);
                batch.forEach(members::remove);
                assertThat(c.call("SCARD", "r")).isEqualTo(249L);
                for (String m : batch) {
                    assertThat(c.call("SISMEMBER", "r", m)).as("popped member %s is gone", m).isEqualTo(0L);
                }
                Object rest = c.call("SMEMBERS", "r");
                List<String> remaining = texts(rest instanceof RespSet s ? s.items() : rest);
                assertThat(new HashSet<>(remaining)).as(t.name()).isEqualTo(members);
                c.call("DEL", "r");
            }
        }
    }

    @Test
    void srandmemberRefusesAbsurdRepeatedCounts() {
        // Redis would try to build a reply of 2^63 elements; Converge answers an error instead.
        try (RespClient c = new RespClient(converge)) {
            c.call("SADD", "s", "a");
            assertThat(c.call("SRANDMEMBER", "s", "-9223372036854775807")).isInstanceOf(Err.class);
            assertThat(c.call("SRANDMEMBER", "s", "-2")).isEqualTo(List.of(new Bulk("a"), new Bulk("a")));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void smove(int protocol) {
        check(protocol,
                cmd("SADD", "src", "a", "b", "c"),
                cmd("SADD", "dst", "c", "x"),
                cmd("SMOVE", "src", "dst", "a"),
                cmd("SMOVE", "src", "dst", "a"),
                cmd("SMOVE", "src", "dst", "zz"),
                cmd("SMOVE", "src", "dst", "c"),
                cmd("SMEMBERS", "src"),
                cmd("SMEMBERS", "dst"),
                cmd("SMOVE", "src", "src", "b"),
                cmd("SMOVE", "src", "src", "zz"),
                cmd("SMOVE", "nokey", "dst", "a"),
                cmd("SMOVE", "src", "fresh", "b"),
                cmd("EXISTS", "src"),
                cmd("SMEMBERS", "fresh"),
                cmd("TYPE", "fresh"),
                cmd("SMOVE", "nokey", "nokey", "a"),
                cmd("EXISTS", "nokey"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void interUnionDiff(int protocol) {
        check(protocol,
                cmd("SADD", "a", "1", "2", "3", "4", "x"),
                cmd("SADD", "b", "2", "3", "5", "x", "y"),
                cmd("SADD", "c", "3", "x", "z"),
                cmd("SINTER", "a"),
                cmd("SINTER", "a", "b"),
                cmd("SINTER", "a", "b", "c"),
                cmd("SINTER", "a", "a"),
                cmd("SINTER", "a", "nokey"),
                cmd("SINTER", "nokey"),
                cmd("SUNION", "a", "b", "c"),
                cmd("SUNION", "a", "a", "nokey"),
                cmd("SUNION", "nokey", "nokey2"),
                cmd("SDIFF", "a", "b"),
                cmd("SDIFF", "a", "b", "c"),
                cmd("SDIFF", "a", "a"),
                cmd("SDIFF", "a", "nokey"),
                cmd("SDIFF", "nokey", "a"),
                cmd("SDIFF", "b", "a", "c"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void storeVariants(int protocol) {
        check(protocol,
                cmd("SADD", "a", "1", "2", "3", "x"),
                cmd("SADD", "b", "2", "3", "y"),
                cmd("SINTERSTORE", "d", "a", "b"),
                cmd("SMEMBERS", "d"),
                cmd("SUNIONSTORE", "d", "a", "b"),
                cmd("SMEMBERS", "d"),
                cmd("SDIFFSTORE", "d", "a", "b"),
                cmd("SMEMBERS", "d"),
                // Destination among the sources.
                cmd("SUNIONSTORE", "d", "d", "b"),
                cmd("SMEMBERS", "d"),
                cmd("SDIFFSTORE", "d", "d", "a"),
                cmd("SMEMBERS", "d"),
                cmd("SINTERSTORE", "a", "a", "b"),
                cmd("SMEMBERS", "a"),
                // An empty result deletes the destination.
                cmd("SINTERSTORE", "d", "b", "nokey"),
                cmd("EXISTS", "d"),
                cmd("SDIFFSTORE", "none", "nokey", "b"),
                cmd("EXISTS", "none"),
                cmd("SUNIONSTORE", "none", "nokey"),
                cmd("EXISTS", "none"),
                // The destination may hold another type; it is replaced, its TTL dropped.
                cmd("SET", "str", "x", "EX", "100"),
                cmd("SUNIONSTORE", "str", "b"),
                cmd("TYPE", "str"),
                cmd("TTL", "str"),
                cmd("SMEMBERS", "str"),
                cmd("HSET", "h", "f", "v"),
                cmd("SINTERSTORE", "h", "nokey"),
                cmd("EXISTS", "h"),
                cmd("SADD", "t", "old"),
                cmd("EXPIRE", "t", "100"),
                cmd("SUNIONSTORE", "t", "b"),
                cmd("TTL", "t"),
                cmd("SMEMBERS", "t"),
                cmd("SET", "srcstr", "x"),
                cmd("SUNIONSTORE", "t", "srcstr"),
                cmd("SMEMBERS", "t"),
                cmd("SUNIONSTORE", "t", "b", "b", "b"),
                cmd("SMEMBERS", "t"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void sintercard(int protocol) {
        check(protocol,
                cmd("SADD", "a", "1", "2", "3", "4"),
                cmd("SADD", "b", "2", "3", "4", "5"),
                cmd("SINTERCARD", "1", "a"),
                cmd("SINTERCARD", "2", "a", "b"),
                cmd("SINTERCARD", "2", "a", "b", "LIMIT", "2"),
                cmd("SINTERCARD", "2", "a", "b", "limit", "0"),
                cmd("SINTERCARD", "2", "a", "b", "LIMIT", "100"),
                cmd("SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "2"),
                cmd("SINTERCARD", "2", "a", "nokey"),
                cmd("SINTERCARD", "2", "a", "a"),
                cmd("SINTERCARD", "0", "a"),
                cmd("SINTERCARD", "-1", "a"),
                cmd("SINTERCARD", "x", "a"),
                cmd("SINTERCARD", "9223372036854775808", "a"),
                cmd("SINTERCARD", "2", "a"),
                cmd("SINTERCARD", "9223372036854775807", "a"),
                cmd("SINTERCARD", "1", "a", "LIMIT"),
                cmd("SINTERCARD", "1", "a", "LIMIT", "-1"),
                cmd("SINTERCARD", "1", "a", "LIMIT", "x"),
                cmd("SINTERCARD", "1", "a", "FOO", "1"),
                cmd("SINTERCARD", "1", "a", "b"),
                cmd("SINTERCARD", "1", "nokey", "LIMIT", "-1"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void sscanOfSmallSets(int protocol) {
        check(protocol,
                cmd("SADD", "ints", "1", "2", "3", "10", "20"),
                cmd("SSCAN", "ints", "0"),
                cmd("SSCAN", "ints", "0", "MATCH", "1*"),
                cmd("SSCAN", "ints", "0", "COUNT", "1"),
                cmd("SSCAN", "ints", "0", "MATCH", "*"),
                cmd("SSCAN", "nokey", "0"),
                cmd("SSCAN", "nokey", "0", "COUNT", "0"),
                cmd("SSCAN", "nokey", "x"),
                cmd("SSCAN", "ints", "x"),
                cmd("SSCAN", "ints", "18446744073709551616"),
                cmd("SSCAN", "ints", "0", "COUNT", "0"),
                cmd("SSCAN", "ints", "0", "COUNT", "x"),
                cmd("SSCAN", "ints", "0", "MATCH"),
                cmd("SSCAN", "ints", "0", "NOVALUES"),
                cmd("SSCAN", "ints", "0", "TYPE", "set"));
    }

    @Test
    void sscanOfLargeSetsVisitsEveryMember() {
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                List<String> args = new ArrayList<>(List.of("SADD", "big"));
                for (int i = 0; i < 2000; i++) {
                    args.add("member:" + i);
                }
                c.call(args.toArray(new String[0]));
                List<String> all = scanAll(c, "SSCAN", "big");
                assertThat(new HashSet<>(all)).as(t.name()).hasSize(2000);
                if (!t.isRedis()) {
                    assertThat(all).as("Converge returns each member exactly once").hasSize(2000);
                }
                List<String> matched = scanAll(c, "SSCAN", "big", "MATCH", "member:19*", "COUNT", "3");
                assertThat(new HashSet<>(matched)).as(t.name()).hasSize(1 + 10 + 100);
                // Members present for the whole scan are returned even while others come and go.
                Set<String> seen = new HashSet<>();
                String cursor = "0";
                int step = 0;
                do {
                    List<?> reply = (List<?>) c.call("SSCAN", "big", cursor, "COUNT", "25");
                    cursor = ((Bulk) reply.get(0)).text();
                    for (Object item : (List<?>) reply.get(1)) {
                        seen.add(((Bulk) item).text());
                    }
                    c.call("SADD", "big", "transient:" + step);
                    c.call("SREM", "big", "transient:" + (step - 2), "member:" + (1000 + step));
                    step++;
                } while (!cursor.equals("0"));
                for (int i = 0; i < 1000; i++) {
                    assertThat(seen).as(t.name()).contains("member:" + i);
                }
                c.call("DEL", "big");
            }
        }
    }

    /**
     * A fixed-seed stream of set commands (adds, removes, moves, pops of whole sets, algebra and
     * its STORE variants) on a few keys, every reply compared with redis-server's.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void randomCommandStreamMatchesRedis(int protocol) {
        Random random = new Random(0x5e75_0001L + protocol);
        String[] keys = {"k0", "k1", "k2", "k3"};
        List<String[]> commands = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            String k = keys[random.nextInt(keys.length)];
            String other = keys[random.nextInt(keys.length)];
            String member = "m" + random.nextInt(12);
            commands.add(switch (random.nextInt(14)) {
                case 0, 1, 2 -> cmd("SADD", k, member, "m" + random.nextInt(12));
                case 3, 4 -> cmd("SREM", k, member, "m" + random.nextInt(12));
                case 5 -> cmd("SMOVE", k, other, member);
                case 6 -> cmd("SINTER", k, other);
                case 7 -> cmd("SUNION", k, other, keys[random.nextInt(keys.length)]);
                case 8 -> cmd("SDIFF", k, other);
                case 9 -> cmd(new String[] {"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"}[random.nextInt(3)], k, other,
                        keys[random.nextInt(keys.length)]);
                case 10 -> cmd("SINTERCARD", "2", k, other, "LIMIT", Integer.toString(random.nextInt(4)));
                case 11 -> cmd("SMISMEMBER", k, member, "m" + random.nextInt(12));
                case 12 -> random.nextInt(8) == 0 ? cmd("SPOP", k, "100") : cmd("SCARD", k);
                default -> cmd("SMEMBERS", k);
            });
        }
        for (String k : keys) {
            commands.add(cmd("SMEMBERS", k));
            commands.add(cmd("EXISTS", k));
        }
        check(protocol, commands.toArray(new String[0][]));
    }

    @Test
    void commandInfoMatchesRedis() {
        sameCommandInfo("sadd", "srem", "smembers", "sismember", "smismember", "scard", "spop", "srandmember",
                "sscan", "smove", "sinter", "sunion", "sdiff", "sinterstore", "sunionstore", "sdiffstore", "sintercard");
    }

    @Test
    void setCommandsInsideMultiExec() {
        check(3,
                cmd("SADD", "a", "1", "2"),
                cmd("MULTI"),
                cmd("SMOVE", "a", "b", "1"),
                cmd("SINTERCARD", "2", "a", "b"),
                cmd("SUNIONSTORE", "c", "a", "b"),
                cmd("SCARD", "c"),
                cmd("SPOP", "a", "-1"),
                cmd("EXEC"));
    }

    private static List<String> texts(Object reply) {
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) reply) {
            out.add(((Bulk) o).text());
        }
        return out;
    }
}
