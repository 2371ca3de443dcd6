package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.KeyState;
import io.converge.server.store.StorageEngine;
import io.converge.server.testing.RespClient;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A collection key emptied by its own removes (ZREM, ZPOP*, ZREMRANGEBY*, HDEL, SREM, SPOP,
 * SMOVE) stops existing, TTL included, as in Redis: the same key written again later has no TTL.
 * Also checked at the CRDT level: the deltas the node reports carry the TTL removal, so a replica
 * built from them agrees.
 */
class EmptiedKeyTtlTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void sortedSetEmptiedByItsRemovesLosesItsTtl(int protocol) {
        script(protocol,
                cmd("ZADD", "z", "1", "a"), cmd("EXPIRE", "z", "100"), cmd("ZREM", "z", "a"),
                cmd("ZADD", "z", "1", "b"), cmd("TTL", "z"),
                cmd("ZADD", "p1", "1", "a"), cmd("EXPIRE", "p1", "100"), cmd("ZPOPMIN", "p1"),
                cmd("ZADD", "p1", "1", "b"), cmd("TTL", "p1"),
                cmd("ZADD", "p2", "1", "a", "2", "b"), cmd("EXPIRE", "p2", "100"), cmd("ZPOPMAX", "p2", "5"),
                cmd("ZADD", "p2", "1", "b"), cmd("TTL", "p2"),
                cmd("ZADD", "r1", "1", "a", "2", "b"), cmd("EXPIRE", "r1", "100"),
                cmd("ZREMRANGEBYSCORE", "r1", "-inf", "+inf"), cmd("ZADD", "r1", "1", "b"), cmd("TTL", "r1"),
                cmd("ZADD", "r2", "1", "a", "2", "b"), cmd("EXPIRE", "r2", "100"),
                cmd("ZREMRANGEBYRANK", "r2", "0", "-1"), cmd("ZADD", "r2", "1", "b"), cmd("TTL", "r2"),
                cmd("ZADD", "r3", "0", "a", "0", "b"), cmd("EXPIRE", "r3", "100"),
                cmd("ZREMRANGEBYLEX", "r3", "-", "+"), cmd("ZADD", "r3", "1", "b"), cmd("TTL", "r3"),
                // A partial remove keeps the key and its TTL.
                cmd("ZADD", "k", "1", "a", "2", "b"), cmd("PEXPIRE", "k", "100000"), cmd("ZREM", "k", "a"),
                cmd("EXISTS", "k"), cmd("TTL", "k"),
                // An emptied key can also come back as another type, without TTL.
                cmd("ZADD", "t", "1", "a"), cmd("EXPIRE", "t", "100"), cmd("ZPOPMIN", "t"),
                cmd("SET", "t", "v", "NX"), cmd("TTL", "t"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void hashAndSetEmptiedByTheirRemovesLoseTheirTtl(int protocol) {
        script(protocol,
                cmd("HSET", "h", "f", "v"), cmd("EXPIRE", "h", "100"), cmd("HDEL", "h", "f"),
                cmd("HSET", "h", "g", "v"), cmd("TTL", "h"),
                cmd("SADD", "s", "a"), cmd("EXPIRE", "s", "100"), cmd("SREM", "s", "a"),
                cmd("SADD", "s", "b"), cmd("TTL", "s"),
                cmd("SADD", "p", "a"), cmd("EXPIRE", "p", "100"), cmd("SPOP", "p"),
                cmd("SADD", "p", "b"), cmd("TTL", "p"),
                cmd("SADD", "q", "a"), cmd("EXPIRE", "q", "100"), cmd("SPOP", "q", "10"),
                cmd("SADD", "q", "b"), cmd("TTL", "q"),
                cmd("SADD", "from", "a"), cmd("EXPIRE", "from", "100"), cmd("SMOVE", "from", "to", "a"),
                cmd("SADD", "from", "b"), cmd("TTL", "from"), cmd("TTL", "to"));
    }

    /** The deltas reported for an emptying remove clear the TTL: a replica merging them agrees with Redis. */
    @Test
    void theTtlRemovalTravelsInTheDeltas() {
        StorageEngine engine = (StorageEngine) converge.node().services().engine();
        List<KeyState> deltas = new CopyOnWriteArrayList<>();
        byte[] key = "replicated".getBytes(StandardCharsets.UTF_8);
        engine.addDeltaListener((k, delta) -> {
            if (Arrays.equals(k, key)) {
                deltas.add(delta.copy());
            }
        });
        try (RespClient c = new RespClient(converge)) {
            c.call("ZADD", "replicated", "1", "a", "2", "b");
            c.call("EXPIRE", "replicated", "100");
            c.call("ZPOPMIN", "replicated", "2");
            c.call("ZADD", "replicated", "3", "c");
            assertThat(c.call("TTL", "replicated")).isEqualTo(-1L);
        }
        KeyState replica = new KeyState();
        deltas.forEach(replica::merge);
        assertThat(replica.exists()).isTrue();
        assertThat(replica.expireAtMs()).as("TTL on a replica built from the deltas").isZero();
        assertThat(replica.zset().size()).as("members on the replica").isEqualTo(1);
    }
}
