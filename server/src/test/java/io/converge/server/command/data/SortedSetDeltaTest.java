package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.KeyState;
import io.converge.crdt.PhysicalClock;
import io.converge.crdt.ZSetValue;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.EngineSettings;
import io.converge.server.store.StorageEngine;
import io.converge.server.testing.ConvergeFixture;
import io.converge.server.testing.RespClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every sorted-set write reports its deltas through {@link StorageEngine.DeltaListener}, and those
 * deltas alone rebuild the same visible sorted sets on other replicas, whether they arrive in
 * order or shuffled; writes that change nothing report nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SortedSetDeltaTest {

    /** One delta as the listener saw it (copied: the listener must not keep engine objects). */
    private record Captured(byte[] key, KeyState delta) {}

    private ConvergeFixture node;
    private StorageEngine engine;
    private final List<Captured> deltas = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> keys = new LinkedHashSet<>();

    @BeforeAll
    void start() {
        node = ConvergeFixture.start();
        engine = (StorageEngine) node.node().services().engine();
        engine.addDeltaListener((key, delta) -> deltas.add(new Captured(key.clone(), delta.copy())));
    }

    @AfterAll
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    /** Runs a write and asserts whether it reported at least one delta. */
    private Object write(RespClient c, boolean changes, String... command) {
        int before = deltas.size();
        Object reply = c.call(command);
        keys.add(command[1]);
        if (changes) {
            assertThat(deltas.size()).as("deltas of %s (reply %s)", String.join(" ", command), reply).isGreaterThan(before);
        } else {
            assertThat(deltas.size()).as("deltas of %s (reply %s)", String.join(" ", command), reply).isEqualTo(before);
        }
        return reply;
    }

    @Test
    void deltasRebuildTheSameSortedSetsOnOtherReplicas() {
        try (RespClient c = new RespClient(node)) {
            write(c, true, "ZADD", "d:a", "1", "x", "2", "y", "3", "z", "4", "w");
            write(c, false, "ZADD", "d:a", "1", "x");
            write(c, false, "ZADD", "d:a", "NX", "5", "x");
            write(c, false, "ZADD", "d:a", "GT", "0", "y");
            write(c, false, "ZADD", "d:a", "XX", "1", "nope");
            write(c, true, "ZADD", "d:a", "XX", "CH", "9", "x");
            write(c, true, "ZADD", "d:a", "INCR", "2.5", "y");
            write(c, true, "ZINCRBY", "d:a", "-1", "new");
            write(c, false, "ZINCRBY", "d:a", "0", "new");
            write(c, false, "ZREM", "d:a", "nope");
            write(c, true, "ZREM", "d:a", "z", "nope");
            write(c, true, "ZADD", "d:b", "1", "x", "5", "q", "6", "r", "7", "s", "8", "t");
            write(c, true, "ZPOPMIN", "d:b");
            write(c, true, "ZPOPMAX", "d:b", "2");
            write(c, false, "ZPOPMAX", "d:b", "0");
            write(c, false, "ZPOPMIN", "d:missing");
            write(c, true, "ZADD", "d:c", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "1", "f", "2", "g");
            write(c, true, "ZREMRANGEBYLEX", "d:c", "[b", "(d");
            write(c, false, "ZREMRANGEBYLEX", "d:c", "[zz", "+");
            write(c, true, "ZREMRANGEBYRANK", "d:c", "-1", "-1");
            write(c, true, "ZREMRANGEBYSCORE", "d:c", "(0", "1");
            write(c, false, "ZREMRANGEBYSCORE", "d:c", "100", "200");
            write(c, true, "ZUNIONSTORE", "d:u", "2", "d:a", "d:b", "WEIGHTS", "2", "1");
            write(c, true, "ZINTERSTORE", "d:u", "2", "d:a", "d:b", "AGGREGATE", "MAX");
            write(c, true, "ZINTERSTORE", "d:a", "2", "d:a", "d:u");
            write(c, true, "SET", "d:str", "v");
            write(c, true, "ZUNIONSTORE", "d:str", "1", "d:b");
            write(c, true, "ZINTERSTORE", "d:str", "2", "d:b", "d:missing");
            write(c, false, "ZINTERSTORE", "d:gone", "1", "d:missing");
            write(c, true, "ZREMRANGEBYRANK", "d:b", "0", "-1");
            write(c, true, "ZADD", "d:b", "3", "back");
            Random random = new Random(42);
            for (int i = 0; i < 300; i++) {
                String key = "d:r" + random.nextInt(3);
                String member = "m" + random.nextInt(10);
                String score = Integer.toString(random.nextInt(9) - 4);
                String[] cmd = switch (random.nextInt(6)) {
                    case 0, 1 -> new String[] {"ZADD", key, score, member};
                    case 2 -> new String[] {"ZINCRBY", key, score, member};
                    case 3 -> new String[] {"ZREM", key, member};
                    case 4 -> new String[] {"ZPOPMIN", key};
                    default -> new String[] {"ZUNIONSTORE", key, "2", "d:r" + random.nextInt(3), "d:r" + random.nextInt(3)};
                };
                c.call(cmd);
                keys.add(key);
            }
        }
        List<Captured> inOrder = List.copyOf(deltas);
        List<Captured> shuffled = new ArrayList<>(inOrder);
        Collections.shuffle(shuffled, new Random(7));
        try (EmbeddedEngine replica = new EmbeddedEngine(EngineSettings.of(2, PhysicalClock.SYSTEM));
             EmbeddedEngine shuffledReplica = new EmbeddedEngine(EngineSettings.of(3, PhysicalClock.SYSTEM))) {
            for (Captured d : inOrder) {
                replica.merge(d.key(), d.delta());
            }
            for (Captured d : shuffled) {
                shuffledReplica.merge(d.key(), d.delta());
            }
            for (String key : keys) {
                byte[] k = key.getBytes(StandardCharsets.UTF_8);
                List<String> expected = visible(engine.stateCopy(k));
                assertThat(visible(replica.stateCopy(k))).as("in-order replica, key %s", key).isEqualTo(expected);
                assertThat(visible(shuffledReplica.stateCopy(k))).as("shuffled replica, key %s", key).isEqualTo(expected);
            }
            assertThat(visible(engine.stateCopy("d:b".getBytes(StandardCharsets.UTF_8)))).containsExactly("back=3.0");
            assertThat(visible(engine.stateCopy("d:str".getBytes(StandardCharsets.UTF_8)))).isEmpty();
        }
    }

    /** The visible sorted set of a key state as "member=score" in rank order (empty if none). */
    private static List<String> visible(KeyState state) {
        List<String> out = new ArrayList<>();
        ZSetValue z = state == null ? null : state.zset();
        if (z != null) {
            z.index().forEachInRankRange(0, z.size(), false,
                    (m, s) -> out.add(new String(m, StandardCharsets.UTF_8) + "=" + s));
        }
        return out;
    }
}
