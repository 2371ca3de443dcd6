package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.command.CommandSpec;
import io.converge.server.store.StorageEngine;
import io.converge.server.testing.RespClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Commands whose keys follow a {@code numkeys} argument (ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE,
 * ZUNION, ZINTER, ZDIFF, ZINTERCARD, SINTERCARD)
 * and commands with several key specifications (SMOVE, *STORE, RENAME): COMMAND INFO and COMMAND
 * GETKEYS answer as Redis does, and MULTI/EXEC locks exactly their keys.
 */
class MovableKeysTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void commandInfoReportsMovableKeysAndEveryKeySpec(int protocol) {
        for (String name : new String[] {"zunionstore", "zinterstore", "zdiffstore", "zunion", "zinter", "zdiff",
            "zintercard", "sintercard", "smove", "sinterstore",
            "sunionstore", "sdiffstore", "rename", "renamenx", "set", "getex"}) {
            script(protocol, cmd("COMMAND", "INFO", name));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void commandGetkeysFollowsNumkeys(int protocol) {
        script(protocol,
                cmd("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"),
                cmd("COMMAND", "GETKEYS", "zinterstore", "d", "1", "a", "b"),
                cmd("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "0", "a"),
                cmd("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "5", "a"),
                cmd("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "-1", "a"),
                // Not a strict integer: Redis falls back to its older key extraction (atoi).
                cmd("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2x", "a", "b"),
                cmd("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "01", "a"),
                cmd("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", " 1", "a"),
                cmd("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "x", "a"),
                cmd("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "1"),
                cmd("COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "3"),
                cmd("COMMAND", "GETKEYS", "SINTERCARD", "1", "a", "b"),
                cmd("COMMAND", "GETKEYS", "SINTERCARD", "3", "a", "b"),
                cmd("COMMAND", "GETKEYS", "SINTERCARD", "2x", "a", "b"),
                cmd("COMMAND", "GETKEYS", "SINTERCARD", "0", "a"),
                cmd("COMMAND", "GETKEYS", "SINTERCARD", "0"),
                cmd("COMMAND", "GETKEYS", "ZDIFFSTORE", "d", "2", "a", "b"),
                cmd("COMMAND", "GETKEYS", "ZDIFFSTORE", "d", "3", "a", "b"),
                cmd("COMMAND", "GETKEYS", "ZDIFFSTORE", "d", "2x", "a", "b"),
                cmd("COMMAND", "GETKEYS", "ZUNION", "2", "a", "b", "WEIGHTS", "1", "2", "WITHSCORES"),
                cmd("COMMAND", "GETKEYS", "ZINTER", "1", "a", "b"),
                cmd("COMMAND", "GETKEYS", "ZDIFF", "3", "a", "b"),
                cmd("COMMAND", "GETKEYS", "ZDIFF", "0", "a"),
                cmd("COMMAND", "GETKEYS", "ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
                cmd("COMMAND", "GETKEYS", "ZINTERCARD", " 2", "a", "b"),
                cmd("COMMAND", "GETKEYS", "ZINTERCARD", "x", "a"),
                cmd("COMMAND", "GETKEYS", "SMOVE", "src", "dst", "m"),
                cmd("COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b"),
                cmd("COMMAND", "GETKEYS", "RENAME", "a", "b"));
    }

    @Test
    void numkeysCommandsDeclareTheirKeys() {
        CommandSpec zunionstore = converge.node().services().commands().lookup("zunionstore");
        assertThat(zunionstore.hasKeys()).isTrue();
        assertThat(strings(zunionstore.keys(args("zunionstore", "d", "2", "a", "b", "AGGREGATE", "MAX"))))
                .containsExactly("d", "a", "b");
        CommandSpec sintercard = converge.node().services().commands().lookup("sintercard");
        assertThat(sintercard.hasKeys()).isTrue();
        assertThat(strings(sintercard.keys(args("sintercard", "2", "a", "b", "LIMIT", "1")))).containsExactly("a", "b");
        CommandSpec zdiffstore = converge.node().services().commands().lookup("zdiffstore");
        assertThat(strings(zdiffstore.keys(args("zdiffstore", "d", "2", "a", "b")))).containsExactly("d", "a", "b");
        for (String name : List.of("zunion", "zinter", "zdiff", "zintercard")) {
            CommandSpec spec = converge.node().services().commands().lookup(name);
            assertThat(spec.hasKeys()).as(name).isTrue();
            assertThat(strings(spec.keys(args(name, "2", "a", "b", "WITHSCORES")))).as(name).containsExactly("a", "b");
        }
    }

    /**
     * EXEC of a transaction using ZUNIONSTORE/ZINTERSTORE/SINTERCARD locks their keys only: it
     * completes while another operation holds the lock of an unrelated key (before, such a
     * transaction locked the whole keyspace and waited).
     */
    @Test
    void execLocksOnlyTheKeysOfNumkeysCommands() throws Exception {
        StorageEngine engine = (StorageEngine) converge.node().services().engine();
        byte[][] txKeys = args("d", "a", "b", "s1", "s2");
        ExecutorService pool = Executors.newCachedThreadPool();
        try (RespClient c = new RespClient(converge)) {
            c.call("ZADD", "a", "1", "x");
            c.call("ZADD", "b", "2", "x");
            c.call("SADD", "s1", "m");
            c.call("SADD", "s2", "m");
            HeldLock held = holdLockOutside(engine, txKeys, pool);
            try {
                assertThat(c.call("MULTI")).isEqualTo(new RespClient.Simple("OK"));
                c.call("ZUNIONSTORE", "d", "2", "a", "b");
                c.call("ZINTERSTORE", "d", "2", "a", "b", "AGGREGATE", "MAX");
                c.call("SINTERCARD", "2", "s1", "s2");
                Future<Object> exec = pool.submit(() -> c.call("EXEC"));
                assertThat(exec.get(10, TimeUnit.SECONDS)).isEqualTo(List.of(1L, 1L, 1L));
            } finally {
                held.release();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** An engine lock held by a background operation until {@link #release()}. */
    private record HeldLock(CountDownLatch releaseLatch, Future<?> holder) {
        void release() throws Exception {
            releaseLatch.countDown();
            holder.get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Holds the lock of some key that shares no lock with {@code keys}: found by holding a
     * candidate's lock and checking that an operation on {@code keys} still completes.
     */
    private static HeldLock holdLockOutside(StorageEngine engine, byte[][] keys, ExecutorService pool) throws Exception {
        for (int i = 0; i < 50; i++) {
            byte[] candidate = ("unrelated:" + i).getBytes(StandardCharsets.UTF_8);
            CountDownLatch locked = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<?> holder = pool.submit(() -> engine.withKey(candidate, a -> {
                locked.countDown();
                awaitUninterruptibly(release);
                return null;
            }));
            locked.await();
            Future<?> probe = pool.submit(() -> engine.withKeys(keys, a -> null));
            try {
                probe.get(500, TimeUnit.MILLISECONDS);
                return new HeldLock(release, holder);
            } catch (TimeoutException sharesALock) {
                release.countDown();
                probe.get(10, TimeUnit.SECONDS);
                holder.get(10, TimeUnit.SECONDS);
            }
        }
        throw new AssertionError("no key outside the locks of the transaction's keys");
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[][] args(String... args) {
        byte[][] out = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            out[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    private static List<String> strings(List<byte[]> keys) {
        return keys.stream().map(k -> new String(k, StandardCharsets.UTF_8)).toList();
    }
}
