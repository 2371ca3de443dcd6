package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What MULTI queues, as Redis 7.0: over maxmemory every command but EXEC, DISCARD, QUIT and RESET
 * is refused with OOM while queueing (the transaction then answers EXECABORT), and EXEC of a
 * transaction that queued a DENYOOM command is aborted with the OOM reason; UNWATCH is queued
 * (it does not cancel the WATCH that EXEC checks).
 */
class MultiQueueingTest extends DataDifferentialTestBase {

    @AfterEach
    void noLimit() {
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                c.call("CONFIG", "SET", "maxmemory", "0");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void overTheLimitMultiRefusesQueueing(int protocol) {
        List<Object> r = script(protocol,
                cmd("SET", "a", "1"),
                cmd("SET", "big", "x".repeat(5000)),
                cmd("CONFIG", "SET", "maxmemory", "1"),
                // Outside MULTI only DENYOOM commands are refused.
                cmd("GET", "a"), cmd("SET", "b", "1"), cmd("MULTI"),
                cmd("SET", "b", "1"), cmd("GET", "a"), cmd("PING"), cmd("EXEC"),
                cmd("MULTI"), cmd("DEL", "a"), cmd("EXEC"), cmd("EXISTS", "a"),
                cmd("MULTI"), cmd("MULTI"), cmd("EXEC"),
                cmd("MULTI"), cmd("WATCH", "a"), cmd("EXEC"),
                cmd("MULTI"), cmd("UNWATCH"), cmd("EXEC"),
                cmd("MULTI"), cmd("CONFIG", "SET", "maxmemory", "0"), cmd("EXEC"),
                cmd("MULTI"), cmd("CLIENT", "ID"), cmd("EXEC"),
                // Errors checked before memory keep their own text.
                cmd("MULTI"), cmd("NOSUCHCOMMAND"), cmd("GET"), cmd("EXEC"),
                cmd("MULTI"), cmd("DISCARD"), cmd("GET", "a"),
                cmd("MULTI"), cmd("RESET"), cmd("GET", "a"),
                cmd("CONFIG", "SET", "maxmemory", "0"),
                cmd("MULTI"), cmd("SET", "b", "1"), cmd("EXEC"), cmd("GET", "b"));
        assertThat(r.get(6)).isEqualTo(new RespClient.Err("OOM command not allowed when used memory > 'maxmemory'."));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void execOfADenyoomTransactionQueuedBeforeTheLimitIsAborted(int protocol) {
        List<Object> expected = goesOverWhileQueued(redis, protocol);
        assertThat(goesOverWhileQueued(converge, protocol)).isEqualTo(expected);
        assertThat(expected.get(4)).isEqualTo(new RespClient.Err(
                "EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'."));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void unwatchInsideMultiIsQueued(int protocol) {
        List<Object> expected = unwatchInsideMulti(redis, protocol);
        assertThat(unwatchInsideMulti(converge, protocol)).isEqualTo(expected);
        assertThat(expected.get(3)).isEqualTo(new RespClient.Simple("QUEUED"));
    }

    private static List<Object> unwatchInsideMulti(ServerTarget t, int protocol) {
        List<Object> out = new ArrayList<>();
        try (RespClient c = connect(t, protocol); RespClient other = connect(t, protocol)) {
            out.add(c.call("SET", "w", "1"));
            out.add(c.call("WATCH", "w"));
            out.add(c.call("MULTI"));
            out.add(c.call("UNWATCH"));
            out.add(c.call("SET", "w", "2"));
            out.add(other.call("SET", "w", "3"));
            out.add(c.call("EXEC"));
            out.add(c.call("GET", "w"));
            out.add(c.call("MULTI"));
            out.add(c.call("UNWATCH"));
            out.add(c.call("EXEC"));
        }
        return out;
    }

    private static List<Object> goesOverWhileQueued(ServerTarget t, int protocol) {
        List<Object> out = new ArrayList<>();
        try (RespClient c = connect(t, protocol); RespClient admin = connect(t, protocol)) {
            admin.call("SET", "big", "x".repeat(5000));
            out.add(c.call("MULTI"));
            out.add(c.call("SET", "x", "1"));
            out.add(c.call("GET", "big"));
            out.add(admin.call("CONFIG", "SET", "maxmemory", "1"));
            out.add(c.call("EXEC"));
            out.add(c.call("GET", "x"));
            out.add(c.call("EXEC"));
            // Only reads queued: EXEC runs.
            out.add(c.call("MULTI"));
            out.add(c.call("GET", "x"));
            out.add(admin.call("CONFIG", "SET", "maxmemory", "0"));
            out.add(admin.call("CONFIG", "SET", "maxmemory", "1"));
            out.add(c.call("EXEC"));
            // DISCARD is never refused.
            out.add(admin.call("CONFIG", "SET", "maxmemory", "0"));
            out.add(c.call("MULTI"));
            out.add(c.call("SET", "x", "1"));
            out.add(admin.call("CONFIG", "SET", "maxmemory", "1"));
            out.add(c.call("DISCARD"));
            out.add(c.call("PING"));
            admin.call("CONFIG", "SET", "maxmemory", "0");
        }
        return out;
    }
}
