package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ZMPOP, BZPOPMIN, BZPOPMAX and BZMPOP against redis-server: replies, errors, timeouts and MULTI
 * as scripts (RESP2 and RESP3), and a blocked BZPOPMIN woken by a ZADD on another connection.
 */
class SortedSetPopCommandsTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void repliesThatDoNotBlock(int protocol) {
        script(protocol,
                cmd("ZADD", "z", "1", "a", "2", "b", "3", "c", "4.5", "d"),
                cmd("BZPOPMIN", "nokey", "z", "0"),
                cmd("BZPOPMAX", "z", "0"),
                cmd("ZMPOP", "1", "z", "MIN"),
                cmd("ZADD", "z", "1", "a", "2", "b", "3", "c", "-inf", "m"),
                cmd("ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "2"),
                cmd("ZMPOP", "1", "z", "min", "count", "10"),
                cmd("EXISTS", "z"),
                cmd("ZMPOP", "1", "nokey", "MIN"),
                cmd("ZMPOP", "0", "z", "MIN"),
                cmd("ZMPOP", "x", "z", "MIN"),
                cmd("ZMPOP", "1", "z", "MIDDLE"),
                cmd("ZMPOP", "2", "z", "MIN"),
                cmd("ZMPOP", "1", "z", "MIN", "COUNT", "0"),
                cmd("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"),
                cmd("BZPOPMIN", "nokey", "0.01"),
                cmd("BZMPOP", "0.01", "1", "nokey", "MIN"),
                cmd("BZPOPMIN", "z", "-1"),
                cmd("BZPOPMIN", "z", "abc"),
                cmd("BZMPOP", "0", "0", "z", "MIN"),
                cmd("SET", "s", "v"),
                cmd("BZPOPMIN", "s", "0"),
                cmd("ZMPOP", "1", "s", "MIN"),
                cmd("MULTI"),
                cmd("BZPOPMIN", "nokey", "0"),
                cmd("BZMPOP", "0", "1", "nokey", "MAX"),
                cmd("EXEC"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zrangestore(int protocol) {
        script(protocol,
                cmd("ZADD", "src", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
                cmd("ZRANGESTORE", "dst", "src", "0", "-1"),
                cmd("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
                cmd("ZRANGESTORE", "dst", "src", "1", "2", "REV"),
                cmd("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
                cmd("ZRANGESTORE", "dst", "src", "(1", "4", "BYSCORE", "LIMIT", "1", "2"),
                cmd("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
                cmd("ZRANGESTORE", "dst", "src", "5", "2", "BYSCORE", "REV", "LIMIT", "0", "2"),
                cmd("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
                cmd("ZADD", "lex", "0", "a", "0", "b", "0", "c"),
                cmd("ZRANGESTORE", "dst", "lex", "[b", "+", "BYLEX"),
                cmd("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
                cmd("ZRANGESTORE", "dst", "src", "10", "20"),
                cmd("EXISTS", "dst"),
                cmd("SET", "str", "x"),
                cmd("ZRANGESTORE", "str", "src", "0", "0"),
                cmd("TYPE", "str"),
                cmd("ZRANGESTORE", "dst", "str", "0", "0"),
                cmd("ZRANGESTORE", "dst", "nokey", "0", "-1"),
                cmd("ZRANGESTORE", "dst", "src", "0", "-1", "WITHSCORES"),
                cmd("ZRANGESTORE", "dst", "src", "0", "-1", "LIMIT", "0", "1"),
                cmd("ZRANGESTORE", "dst", "src", "x", "1"),
                cmd("ZRANGESTORE", "dst", "src", "0"),
                cmd("ZRANGESTORE", "src", "src", "0", "1"),
                cmd("ZRANGE", "src", "0", "-1", "WITHSCORES"),
                cmd("ZRANGE", "src", "0", "-1", "REV", "WITHSCORES"),
                cmd("ZRANGE", "src", "(0", "+inf", "BYSCORE", "REV", "LIMIT", "0", "1"),
                cmd("COMMAND", "INFO", "zrangestore"));
    }

    @Test
    void aZaddWakesABlockedPop() {
        List<List<Object>> both = new ArrayList<>();
        for (ServerTarget t : List.of(redis, converge)) {
            List<Object> seen = new ArrayList<>();
            try (RespClient blocked = new RespClient(t);
                 RespClient multi = new RespClient(t);
                 RespClient writer = new RespClient(t)) {
                writer.call("FLUSHALL");
                blocked.send(RespClient.encode("BZPOPMAX", "z1", "z2", "0"));
                multi.send(RespClient.encode("BZMPOP", "0", "1", "z3", "MIN", "COUNT", "2"));
                long deadline = System.currentTimeMillis() + 5000;
                while (!((RespClient.Bulk) writer.call("INFO", "clients")).text().contains("blocked_clients:2\r\n")) {
                    assertThat(System.currentTimeMillis()).isLessThan(deadline);
                }
                seen.add(writer.call("ZADD", "z2", "5", "x", "7", "y"));
                seen.add(blocked.read());
                seen.add(writer.call("ZADD", "z3", "1", "p", "2", "q", "3", "r"));
                seen.add(multi.read());
                seen.add(writer.call("ZRANGE", "z2", "0", "-1"));
                seen.add(writer.call("ZRANGE", "z3", "0", "-1"));
            }
            both.add(seen);
        }
        assertThat(both.get(1)).isEqualTo(both.get(0));
    }
}
