package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.Ring;
import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.EngineSettings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * One node's walks over the keys it owns: counts that take each key once while expired keys are
 * met, and RANDOMKEY's first key at or after a position (the nearest one even when a part spans
 * several stripes), within a range and a budget of buckets.
 */
class OwnedKeyWalksTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final Ring RING = Ring.build(spec());

    private final AtomicLong now = new AtomicLong(T0);

    private static ClusterSpec spec() {
        List<NodeSpec> nodes = new ArrayList<>();
        for (int id = 1; id <= 5; id++) {
            nodes.add(new NodeSpec(id, "10.0.0." + id, 6379, 16379, "dc1", "rack" + id));
        }
        return new ClusterSpec("walks", "secret", 16, Map.of("dc1", 3), nodes).validate();
    }

    /** The owners when every node takes part and is complete. */
    private static KeyOwners everyNode() {
        Map<Integer, BitSet> complete = new HashMap<>();
        for (int id = 1; id <= 5; id++) {
            complete.put(id, KeyOwners.completeSetsOf(RING, id, set -> true));
        }
        return KeyOwners.choose(RING, complete);
    }

    private EmbeddedEngine engine(int stripes) {
        return new EmbeddedEngine(EngineSettings.of(1, now::get).withStripes(stripes));
    }

    private static void set(EmbeddedEngine e, String key, long expireAt) {
        e.withKey(key.getBytes(StandardCharsets.UTF_8), a -> {
            a.written(a.forWrite().setString(new byte[] {'v'}, expireAt, a.stamp(), a.node()));
            return null;
        });
    }

    @Test
    void countsTakeEachLiveKeyOnceWhileExpiredKeysAreMet() {
        for (int stripes : new int[] {4, 256, 1024}) {
            EmbeddedEngine engine = engine(stripes);
            now.set(T0);
            for (int i = 0; i < 20_000; i++) {
                set(engine, "gone:" + i, T0 + 5);
            }
            for (int i = 0; i < 3_000; i++) {
                set(engine, "key:" + i, i < 100 ? T0 + 60_000 : 0);
            }
            now.set(T0 + 10);
            KeyOwners owners = everyNode();
            long keys = 0;
            long expires = 0;
            Set<String> listed = new HashSet<>();
            int listedCount = 0;
            for (int self = 1; self <= 5; self++) {
                OwnedKeyWalks walks = new OwnedKeyWalks(engine, self);
                OwnedKeyWalks.Stats s = walks.stats(owners, now.get());
                keys += s.keys();
                expires += s.expires();
                for (byte[] k : walks.keys(owners, new byte[] {'*'})) {
                    listed.add(new String(k, StandardCharsets.UTF_8));
                    listedCount++;
                }
            }
            assertThat(keys).as("keys with %d stripes", stripes).isEqualTo(3_000);
            assertThat(expires).isEqualTo(100);
            assertThat(listedCount).isEqualTo(3_000);
            assertThat(listed).hasSize(3_000);
        }
    }

    @Test
    void randomKeyTakesTheNearestOwnedKeyAtOrAfterThePosition() {
        Random random = new Random(7);
        for (int stripes : new int[] {4, 1024}) {
            EmbeddedEngine engine = engine(stripes);
            List<byte[]> all = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                set(engine, "key:" + i, 0);
                all.add(("key:" + i).getBytes(StandardCharsets.UTF_8));
            }
            KeyOwners owners = everyNode();
            for (int self = 1; self <= 5; self++) {
                OwnedKeyWalks walks = new OwnedKeyWalks(engine, self);
                for (int round = 0; round < 50; round++) {
                    long start = Math.floorMod(random.nextLong(), OwnedKeyWalks.END);
                    byte[] expected = null;
                    long best = Long.MAX_VALUE;
                    for (byte[] k : all) {
                        if (owners.ownerOf(k) == self) {
                            long at = Math.floorMod(OwnedKeyWalks.position(k) - start, OwnedKeyWalks.END);
                            if (at < best) {
                                best = at;
                                expected = k;
                            }
                        }
                    }
                    OwnedKeyWalks.Found found = walks.firstFrom(owners, start, start + OwnedKeyWalks.END,
                            Integer.MAX_VALUE);
                    assertThat(found.key()).as("%d stripes, node %d, from %d", stripes, self, start)
                            .isEqualTo(expected);
                    // Stopping right before it: nothing found, the whole range walked.
                    OwnedKeyWalks.Found before = walks.firstFrom(owners, start, start + best, Integer.MAX_VALUE);
                    if (best > 0) {
                        assertThat(before.key()).isNull();
                        assertThat(before.reached()).isEqualTo(start + best);
                    }
                }
            }
        }
    }

    @Test
    void randomKeyStopsAfterItsBudgetOfBucketsAndGoesOnFromThere() {
        EmbeddedEngine engine = engine(256);
        for (int i = 0; i < 5_000; i++) {
            set(engine, "key:" + i, 0);
        }
        Map<Integer, BitSet> onlyNode1 = new HashMap<>();
        onlyNode1.put(1, KeyOwners.completeSetsOf(RING, 1, set -> true));
        onlyNode1.put(2, KeyOwners.completeSetsOf(RING, 2, set -> true));
        onlyNode1.put(3, KeyOwners.completeSetsOf(RING, 3, set -> true));
        onlyNode1.put(4, KeyOwners.completeSetsOf(RING, 4, set -> true));
        onlyNode1.put(5, KeyOwners.completeSetsOf(RING, 5, set -> true));
        KeyOwners owners = KeyOwners.choose(RING, onlyNode1);
        int self = owners.owners()[0];
        OwnedKeyWalks walks = new OwnedKeyWalks(engine, self);
        long start = 0;
        long stop = OwnedKeyWalks.END;
        int calls = 0;
        Set<String> firsts = new HashSet<>();
        while (start < stop) {
            OwnedKeyWalks.Found f = walks.firstFrom(owners, start, stop, 2);
            assertThat(f.reached()).as("progress").isGreaterThan(start);
            if (f.key() != null) {
                assertThat(owners.ownerOf(f.key())).isEqualTo(self);
                assertThat(OwnedKeyWalks.position(f.key())).isGreaterThanOrEqualTo(start).isLessThan(f.reached());
                firsts.add(new String(f.key(), StandardCharsets.UTF_8));
                start = OwnedKeyWalks.position(f.key()) + 1;
            } else {
                start = f.reached();
            }
            calls++;
        }
        long owned = 0;
        for (int i = 0; i < 5_000; i++) {
            owned += owners.ownerOf(("key:" + i).getBytes(StandardCharsets.UTF_8)) == self ? 1 : 0;
        }
        assertThat(firsts).as("stepping key by key visits every owned key").hasSize((int) owned);
        assertThat(calls).as("two buckets a call").isGreaterThan((int) owned);
    }
}
