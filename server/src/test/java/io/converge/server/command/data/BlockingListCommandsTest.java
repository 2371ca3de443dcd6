package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) against redis-server and
 * Converge: the replies that do not block, errors, timeouts and MULTI compared as scripts; then
 * scenarios with several connections (a push waking a blocked client, first blocked first
 * served, CLIENT UNBLOCK, a closed connection taking nothing, pipelined commands held behind a
 * blocked one) run on both servers, their observations compared.
 */
class BlockingListCommandsTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void repliesThatDoNotBlock(int protocol) {
        script(protocol,
                cmd("RPUSH", "a", "1", "2", "3"),
                cmd("BLPOP", "nokey", "a", "0"),
                cmd("BRPOP", "a", "nokey", "0"),
                cmd("BLPOP", "nokey", "0.05"),
                cmd("BRPOP", "nokey", "0.01"),
                cmd("BLMOVE", "a", "b", "LEFT", "RIGHT", "0"),
                cmd("BLMOVE", "nokey", "b", "LEFT", "RIGHT", "0.01"),
                cmd("BRPOPLPUSH", "b", "c", "0"),
                cmd("BRPOPLPUSH", "nokey", "c", "0.01"),
                cmd("RPUSH", "m", "x", "y", "z"),
                cmd("BLMPOP", "0", "2", "nokey", "m", "LEFT", "COUNT", "2"),
                cmd("BLMPOP", "0.01", "1", "nokey", "RIGHT"),
                cmd("BLMPOP", "0", "0", "m", "LEFT"),
                cmd("BLMPOP", "0", "1", "m", "UP"),
                cmd("BLMPOP", "0", "1", "m", "LEFT", "COUNT", "0"),
                cmd("BLPOP", "a", "-1"),
                cmd("BLPOP", "a", "abc"),
                cmd("BLPOP", "a", "1e30"),
                cmd("BLPOP", "a", "nan"),
                cmd("BLMOVE", "a", "b", "UP", "RIGHT", "0"),
                cmd("SET", "s", "v"),
                cmd("BLPOP", "s", "0"),
                cmd("BLPOP", "nokey", "s", "0"),
                cmd("BLMOVE", "s", "b", "LEFT", "LEFT", "0"),
                cmd("BLMOVE", "m", "s", "LEFT", "LEFT", "0"),
                cmd("BLPOP", "a"),
                cmd("MULTI"),
                cmd("BLPOP", "nokey", "0"),
                cmd("BLMOVE", "nokey", "b", "LEFT", "LEFT", "0"),
                cmd("BLMPOP", "0", "1", "nokey", "LEFT"),
                cmd("BLPOP", "c", "0"),
                cmd("EXEC"),
                cmd("DBSIZE"));
    }

    /** WAIT on a single node counts no replicas, as a redis-server without replicas: 0, after the timeout. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void waitOnASingleNodeCountsNoReplicas(int protocol) {
        script(protocol,
                cmd("SET", "k", "v"),
                cmd("WAIT", "0", "0"),
                cmd("WAIT", "1", "20"),
                cmd("WAIT", "-1", "0"),
                cmd("WAIT", "x", "0"),
                cmd("WAIT", "0", "x"),
                cmd("WAIT", "0", "-1"),
                cmd("MULTI"),
                cmd("WAIT", "5", "0"),
                cmd("EXEC"),
                cmd("COMMAND", "INFO", "wait"));
    }

    @Test
    void aPushWakesTheClientBlockedFirst() {
        assertSameOnBoth(t -> {
            List<Object> seen = new ArrayList<>();
            try (RespClient first = new RespClient(t);
                 RespClient second = new RespClient(t);
                 RespClient writer = new RespClient(t)) {
                first.send(RespClient.encode("BLPOP", "q", "other", "0"));
                awaitBlocked(writer, 1);
                second.send(RespClient.encode("BRPOP", "q", "0"));
                awaitBlocked(writer, 2);
                seen.add(writer.call("RPUSH", "q", "one"));
                seen.add(first.read());
                seen.add(writer.call("RPUSH", "other", "two"));
                seen.add(writer.call("LPUSH", "q", "three"));
                seen.add(second.read());
                awaitBlocked(writer, 0);
                seen.add(writer.call("LLEN", "q"));
                seen.add(writer.call("LRANGE", "other", "0", "-1"));
            }
            return seen;
        });
    }

    @Test
    void blockedMovesChainAndMultiPopsTakeACount() {
        assertSameOnBoth(t -> {
            List<Object> seen = new ArrayList<>();
            try (RespClient mover = new RespClient(t);
                 RespClient popper = new RespClient(t);
                 RespClient multi = new RespClient(t);
                 RespClient writer = new RespClient(t)) {
                mover.send(RespClient.encode("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"));
                awaitBlocked(writer, 1);
                popper.send(RespClient.encode("BRPOPLPUSH", "dst", "final", "0"));
                awaitBlocked(writer, 2);
                seen.add(writer.call("RPUSH", "src", "a", "b"));
                seen.add(mover.read());
                seen.add(popper.read());
                awaitBlocked(writer, 0);
                seen.add(writer.call("LRANGE", "src", "0", "-1"));
                seen.add(writer.call("LRANGE", "dst", "0", "-1"));
                seen.add(writer.call("LRANGE", "final", "0", "-1"));
                multi.send(RespClient.encode("BLMPOP", "0", "2", "x", "y", "RIGHT", "COUNT", "5"));
                awaitBlocked(writer, 1);
                seen.add(writer.call("RPUSH", "y", "1", "2", "3"));
                seen.add(multi.read());
                awaitBlocked(writer, 0);
                seen.add(writer.call("EXISTS", "y"));
            }
            return seen;
        });
    }

    /**
     * A waiter that cannot take what arrived (a BLMOVE whose source is still empty, blocked on its
     * destination too; a sorted-set pop on a key that became a list) does not hold back the
     * waiters after it.
     */
    @Test
    void aWaiterThatCannotTakeWhatArrivedDoesNotHoldBackTheNext() {
        assertSameOnBoth(t -> {
            List<Object> seen = new ArrayList<>();
            try (RespClient mover = new RespClient(t);
                 RespClient zpop = new RespClient(t);
                 RespClient popper = new RespClient(t);
                 RespClient writer = new RespClient(t)) {
                mover.send(RespClient.encode("BLMOVE", "src", "q", "LEFT", "LEFT", "0"));
                awaitBlocked(writer, 1);
                zpop.send(RespClient.encode("BZPOPMIN", "q", "0"));
                awaitBlocked(writer, 2);
                popper.send(RespClient.encode("BLPOP", "q", "0"));
                awaitBlocked(writer, 3);
                seen.add(writer.call("RPUSH", "q", "job"));
                seen.add(popper.read());
                awaitBlocked(writer, 2);
                seen.add(writer.call("RPUSH", "src", "s"));
                seen.add(mover.read());
                awaitBlocked(writer, 1);
                seen.add(writer.call("LRANGE", "q", "0", "-1"));
                seen.add(writer.call("DEL", "q"));
                seen.add(writer.call("ZADD", "q", "1", "m"));
                seen.add(zpop.read());
                awaitBlocked(writer, 0);
            }
            return seen;
        });
    }

    @Test
    void clientUnblockTimeoutsAndClosedConnections() {
        assertSameOnBoth(t -> {
            List<Object> seen = new ArrayList<>();
            try (RespClient blocked = new RespClient(t);
                 RespClient writer = new RespClient(t)) {
                long id = (Long) blocked.call("CLIENT", "ID");
                blocked.send(RespClient.encode("BLPOP", "k", "0"));
                awaitBlocked(writer, 1);
                seen.add(writer.call("CLIENT", "UNBLOCK", Long.toString(id)));
                seen.add(blocked.read());
                seen.add(writer.call("CLIENT", "UNBLOCK", Long.toString(id)));
                blocked.send(RespClient.encode("BRPOP", "k", "0"));
                awaitBlocked(writer, 1);
                seen.add(writer.call("CLIENT", "UNBLOCK", Long.toString(id), "ERROR"));
                seen.add(blocked.read());
                seen.add(writer.call("CLIENT", "UNBLOCK", Long.toString(id), "NOW"));
                seen.add(writer.call("CLIENT", "UNBLOCK", "x"));
                // Pipelined behind a blocked command: answered only after it.
                blocked.send(RespClient.encode("BLPOP", "k", "0.2"));
                blocked.send(RespClient.encode("PING"));
                seen.add(blocked.read());
                seen.add(blocked.read());
                awaitBlocked(writer, 0);
            }
            try (RespClient gone = new RespClient(t);
                 RespClient writer = new RespClient(t)) {
                gone.send(RespClient.encode("BLPOP", "kept", "0"));
                awaitBlocked(writer, 1);
                gone.close();
                awaitBlocked(writer, 0);
                seen.add(writer.call("RPUSH", "kept", "v"));
                seen.add(writer.call("LRANGE", "kept", "0", "-1"));
            }
            return seen;
        });
    }

    /**
     * Pushes racing with clients that are just blocking (no wait for INFO to count them): every
     * push reaches a waiter or stays in the list, many times over; a wake-up lost while a waiter
     * registers would leave a client blocked (its read times out).
     */
    @Test
    void pushesRacingWithClientsThatAreBlockingAreNeverLost() {
        try (RespClient a = new RespClient(converge);
             RespClient b = new RespClient(converge);
             RespClient writer = new RespClient(converge)) {
            for (int i = 0; i < 300; i++) {
                a.send(RespClient.encode("BLPOP", "race", "other", "5"));
                b.send(RespClient.encode("BRPOP", "race", "5"));
                assertThat(writer.call("RPUSH", "race", "x" + i, "y" + i)).isInstanceOf(Long.class);
                Object ra = a.read();
                Object rb = b.read();
                assertThat(List.of(ra, rb)).as("iteration %d", i).allSatisfy(r -> assertThat(r).isInstanceOf(List.class));
                assertThat(writer.call("LLEN", "race")).isEqualTo(0L);
            }
        }
    }

    /** Runs {@code scenario} on a flushed redis-server and a flushed Converge; the observations must be equal. */
    private void assertSameOnBoth(Function<ServerTarget, List<Object>> scenario) {
        List<Object> expected = scenario.apply(redis);
        List<Object> actual = scenario.apply(converge);
        assertThat(actual).isEqualTo(expected);
    }

    /** Waits until INFO clients reports {@code n} blocked clients. */
    private static void awaitBlocked(RespClient c, int n) {
        long deadline = System.currentTimeMillis() + 5000;
        while (true) {
            String info = ((RespClient.Bulk) c.call("INFO", "clients")).text();
            if (info.contains("blocked_clients:" + n + "\r\n")) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("expected " + n + " blocked clients: " + info);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
