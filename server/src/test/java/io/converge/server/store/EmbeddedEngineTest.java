package io.converge.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.HashValue;
import io.converge.crdt.KeyState;
import io.converge.crdt.SetValue;
import io.converge.crdt.ValueType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The embedded engine on its own: keyspace, deltas, merge, expiry, tombstone GC, WATCH versions, scan, memory. */
class EmbeddedEngineTest {
    private static final long T0 = 1_700_000_000_000L;

    private final AtomicLong now = new AtomicLong(T0);
    private final EmbeddedEngine engine = new EmbeddedEngine(EngineSettings.of(1, now::get));

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void set(EmbeddedEngine e, String key, String value, long expireAt) {
        e.withKey(b(key), a -> {
            a.written(a.forWrite().setString(b(value), expireAt, a.stamp(), a.node()));
            return null;
        });
    }

    private void set(String key, String value) {
        set(engine, key, value, 0);
    }

    private String get(EmbeddedEngine e, String key) {
        return e.withKey(b(key), a -> {
            KeyState s = a.live();
            return s == null || s.stringBytes() == null ? null : new String(s.stringBytes(), StandardCharsets.UTF_8);
        });
    }

    private void del(String key) {
        engine.withKey(b(key), a -> {
            if (a.live() != null) {
                a.written(a.forWrite().delete(a.stamp(), a.node()));
            }
            return null;
        });
    }

    private void sadd(EmbeddedEngine e, String key, String member) {
        e.withKey(b(key), a -> {
            SetValue d = a.forWrite().setForWrite().add(b(member), a.stamp(), a.node());
            a.written(KeyState.wrap(d));
            return null;
        });
    }

    /** Collects every delta the engine publishes (copied, as a log would encode it). */
    private static final class Recorder implements StorageEngine.DeltaListener {
        final List<String> keys = new CopyOnWriteArrayList<>();
        final List<KeyState> deltas = new CopyOnWriteArrayList<>();

        @Override
        public void onDelta(byte[] key, KeyState delta) {
            keys.add(new String(key, StandardCharsets.UTF_8));
            deltas.add(CrdtCodec.decode(CrdtCodec.encode(delta)));
        }
    }

    @Test
    void writesAndReadsOneKey() {
        assertThat(get(engine, "k")).isNull();
        set("k", "v");
        assertThat(get(engine, "k")).isEqualTo("v");
        assertThat(engine.size()).isEqualTo(1);
        set("k", "w");
        assertThat(get(engine, "k")).isEqualTo("w");
        assertThat(engine.size()).isEqualTo(1);
        del("k");
        assertThat(get(engine, "k")).isNull();
        assertThat(engine.size()).isZero();
        assertThat(engine.keyspaceHits()).isEqualTo(2);
        assertThat(engine.keyspaceMisses()).isEqualTo(2);
    }

    @Test
    void deltaListenerReceivesEveryLocalWriteAndTheyRebuildTheKeyspace() {
        Recorder recorder = new Recorder();
        engine.addDeltaListener(recorder);
        set("a", "1");
        set(engine, "b", "2", T0 + 50);
        engine.withKey(b("c"), a -> {
            a.written(a.forWrite().incrBy(5, a.stamp(), a.node()));
            a.written(a.forWrite().incrBy(-2, a.stamp(), a.node()));
            return null;
        });
        sadd(engine, "s", "x");
        sadd(engine, "s", "y");
        del("a");
        set("a", "again");
        now.set(T0 + 100);
        assertThat(get(engine, "b")).as("lazily expired").isNull();
        assertThat(recorder.keys).containsExactly("a", "b", "c", "c", "s", "s", "a", "a", "b");

        // Reads and merges publish nothing.
        get(engine, "a");
        engine.merge(b("m"), new KeyState().setString(b("remote"), 0, 1, 9));
        assertThat(recorder.keys).hasSize(9);

        EmbeddedEngine replica = new EmbeddedEngine(EngineSettings.of(2, now::get));
        for (int i = 0; i < recorder.deltas.size(); i++) {
            replica.merge(b(recorder.keys.get(i)), recorder.deltas.get(i));
        }
        assertThat(get(replica, "a")).isEqualTo("again");
        assertThat(get(replica, "b")).isNull();
        assertThat(get(replica, "c")).isEqualTo("3");
        assertThat(replica.<Integer>withKey(b("s"), a -> a.live().set().size())).isEqualTo(2);
        assertThat(replica.size()).isEqualTo(3);
    }

    @Test
    void mergesRemoteDeltasIncludingADeleteFromAnotherReplica() {
        Recorder recorder = new Recorder();
        engine.addDeltaListener(recorder);
        set("k", "local");
        // Replica 2 received our write, then deleted the key.
        KeyState remote = new KeyState();
        remote.merge(recorder.deltas.get(0));
        long remoteStamp = remote.lastWriteHlc() + 10;
        KeyState remoteDelete = remote.delete(remoteStamp, 2);
        long versionBefore = engine.keyVersion(b("k"));
        engine.merge(b("k"), remoteDelete);
        assertThat(get(engine, "k")).isNull();
        assertThat(engine.size()).isZero();
        assertThat(engine.keyVersion(b("k"))).isNotEqualTo(versionBefore);
        // Its watermark is ahead of our clock (no HLC receive here), so it is not stable yet:
        // collecting it would let a later local write stamped below it survive only here.
        assertThat(engine.stateCopy(b("k"))).isNotNull().extracting(KeyState::exists).isEqualTo(false);
        assertThat(recorder.keys).as("merges are not local writes").hasSize(1);

        // The replication layer applies the HLC receive rule to the message's stamp; a write
        // stamped after that delete then wins, and one the delete had observed stays deleted.
        engine.clock().receive(remoteStamp);
        set("k", "newer");
        assertThat(get(engine, "k")).isEqualTo("newer");
        engine.merge(b("k"), recorder.deltas.get(0));
        assertThat(get(engine, "k")).isEqualTo("newer");
    }

    @Test
    void aRemoteSetDeleteKeepsAddsItHadNotObserved() {
        Recorder recorder = new Recorder();
        engine.addDeltaListener(recorder);
        sadd(engine, "s", "seen");
        KeyState remote = new KeyState();
        remote.merge(recorder.deltas.get(0));
        sadd(engine, "s", "unseen"); // concurrent with the remote delete
        engine.merge(b("s"), remote.delete(remote.lastWriteHlc() + 1, 2));
        List<String> members = engine.withKey(b("s"), a -> {
            List<String> out = new ArrayList<>();
            a.live().set().forEachMember(m -> out.add(new String(m, StandardCharsets.UTF_8)));
            return out;
        });
        assertThat(members).containsExactly("unseen");
    }

    @Test
    void deletedStringsAreForgottenButSetContextsStay() {
        set("str", "v");
        del("str");
        assertThat(engine.stateCopy(b("str"))).isNull();
        assertThat(engine.tombstoneEntries()).isZero();

        sadd(engine, "set", "m");
        del("set");
        KeyState kept = engine.stateCopy(b("set"));
        assertThat(kept).as("a deleted set keeps its causal context (dots must not be reused)").isNotNull();
        assertThat(kept.exists()).isFalse();
        assertThat(engine.size()).isZero();
        assertThat(engine.tombstoneEntries()).isEqualTo(1);
        // Re-created, it continues its dots and is visible again.
        sadd(engine, "set", "m2");
        assertThat(engine.size()).isEqualTo(1);
    }

    @Test
    void tombstonesStayUntilThePolicyAllowsAndHashFieldTombstonesAreCollectedInTheBackground() {
        engine.tombstonePolicy(TombstonePolicy.KEEP_ALL);
        set("k", "v");
        del("k");
        assertThat(engine.stateCopy(b("k"))).as("kept without acknowledgement").isNotNull();
        assertThat(engine.size()).isZero();
        assertThat(engine.tombstoneEntries()).isEqualTo(1);
        assertThat(engine.randomKey()).as("tombstones are not keys").isNull();

        engine.tombstonePolicy(TombstonePolicy.singleReplica(engine.clock()));
        engine.withKey(b("h"), a -> {
            HashValue h = a.forWrite().hashForWrite();
            a.written(KeyState.wrap(h.hset(b("f1"), b("v1"), a.stamp(), a.node())));
            a.written(KeyState.wrap(h.hset(b("f2"), b("v2"), a.stamp(), a.node())));
            return null;
        });
        int before = CrdtCodec.encode(engine.stateCopy(b("h"))).length;
        engine.withKey(b("h"), a -> {
            a.written(KeyState.wrap(a.forWrite().hashForWrite().hdel(b("f1"), a.stamp(), a.node())));
            return null;
        });
        int withTombstone = CrdtCodec.encode(engine.stateCopy(b("h"))).length;
        engine.runBackgroundCycle();
        int collected = CrdtCodec.encode(engine.stateCopy(b("h"))).length;
        assertThat(collected).isLessThan(withTombstone).isLessThan(before);
        assertThat(engine.<Integer>withKey(b("h"), a -> a.live().hash().size())).isEqualTo(1);
    }

    @Test
    void lazyExpiryPurgesOnAccessAndReportsTheDelete() {
        Recorder recorder = new Recorder();
        engine.addDeltaListener(recorder);
        set(engine, "k", "v", T0 + 100);
        assertThat(engine.keysWithExpiry()).isEqualTo(1);
        now.set(T0 + 100);
        assertThat(get(engine, "k")).as("expired only once now > expiry").isEqualTo("v");
        now.set(T0 + 101);
        long version = engine.keyVersion(b("k")); // purges: the key changed
        assertThat(get(engine, "k")).isNull();
        assertThat(engine.expiredKeys()).isEqualTo(1);
        assertThat(engine.keysWithExpiry()).isZero();
        assertThat(engine.size()).isZero();
        assertThat(recorder.deltas).hasSize(2);
        assertThat(recorder.deltas.get(1).exists()).isFalse();
        assertThat(engine.keyVersion(b("k"))).isEqualTo(version);
    }

    @Test
    void activeExpirySamplesAndRemovesExpiredKeys() {
        for (int i = 0; i < 1000; i++) {
            set(engine, "ttl:" + i, "v", T0 + 10 + i % 7);
        }
        for (int i = 0; i < 500; i++) {
            set("keep:" + i, "v");
        }
        set(engine, "later", "v", T0 + 1_000_000);
        assertThat(engine.runBackgroundCycle()).as("nothing expired yet").isZero();
        now.set(T0 + 1000);
        // Sampling is random: a stripe stops once a sample is mostly unexpired, so the last few
        // expired keys next to live ones may take more than one cycle (as in Redis).
        int expired = engine.runBackgroundCycle();
        assertThat(expired).isGreaterThan(900);
        for (int cycle = 0; cycle < 200 && expired < 1000; cycle++) {
            expired += engine.runBackgroundCycle();
        }
        assertThat(expired).isEqualTo(1000);
        assertThat(engine.size()).isEqualTo(501);
        assertThat(engine.expiredKeys()).isEqualTo(1000);
        assertThat(engine.keysWithExpiry()).isEqualTo(1);
        assertThat(engine.tombstoneEntries()).isZero();
    }

    @Test
    void keyVersionMovesOnEveryChangeAndOnlyThen() {
        byte[] k = b("k");
        long absent = engine.keyVersion(k);
        engine.withKey(k, a -> a.forWrite()); // created but nothing written
        assertThat(engine.keyVersion(k)).isEqualTo(absent);
        assertThat(engine.stateCopy(k)).isNull();
        set("k", "1");
        long v1 = engine.keyVersion(k);
        assertThat(v1).isNotEqualTo(absent);
        get(engine, "k");
        assertThat(engine.keyVersion(k)).isEqualTo(v1);
        set("k", "1");
        long v2 = engine.keyVersion(k);
        assertThat(v2).isNotEqualTo(v1);
        engine.merge(k, new KeyState().setString(b("x"), 0, 1, 5));
        long v3 = engine.keyVersion(k);
        assertThat(v3).isNotEqualTo(v2);
        del("k");
        long v4 = engine.keyVersion(k);
        assertThat(v4).isNotIn(absent, v1, v2, v3);
        set("k", "again");
        assertThat(engine.keyVersion(k)).isNotIn(absent, v1, v2, v3, v4);
    }

    @Test
    void concurrentIncrementsAndTransfersStayExact() throws Exception {
        EmbeddedEngine e = new EmbeddedEngine(EngineSettings.of(1, now::get).withStripes(8));
        int threads = 4;
        int perThread = 5000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    for (int i = 0; i < perThread; i++) {
                        byte[] key = b("c" + r.nextInt(20));
                        e.withKey(key, a -> {
                            a.written(a.forWrite().incrBy(1, a.stamp(), a.node()));
                            return null;
                        });
                        // Move one unit between two random keys, locking both (random order).
                        byte[][] pair = {b("c" + r.nextInt(20)), b("c" + r.nextInt(20))};
                        e.withKeys(pair, acc -> {
                            if (acc[0] != acc[1] && acc[0].live() != null && acc[0].live().string().longValue() > 0) {
                                acc[0].written(acc[0].forWrite().incrBy(-1, acc[0].stamp(), acc[0].node()));
                                acc[1].written(acc[1].forWrite().incrBy(1, acc[1].stamp(), acc[1].node()));
                            }
                            return null;
                        });
                        if (i % 500 == 0) {
                            e.runExclusive(List.of(pair), r.nextBoolean(), () -> e.withKey(pair[0], a -> a.live()));
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long total = 0;
        for (int i = 0; i < 20; i++) {
            String v = get(e, "c" + i);
            total += v == null ? 0 : Long.parseLong(v);
        }
        assertThat(total).isEqualTo((long) threads * perThread);
    }

    @Test
    void scanReturnsEveryKeyPresentThroughoutWhileTheTableGrowsAndShrinks() {
        EmbeddedEngine e = new EmbeddedEngine(EngineSettings.of(1, now::get).withStripes(4));
        for (int i = 0; i < 2000; i++) {
            set(e, "stay:" + i, "v", 0);
        }
        for (int i = 0; i < 3000; i++) {
            set(e, "go:" + i, "v", 0);
        }
        Set<String> seen = new HashSet<>();
        long cursor = 0;
        int round = 0;
        do {
            cursor = e.scan(cursor, 50, (k, s) -> seen.add(new String(k, StandardCharsets.UTF_8)));
            round++;
            if (round == 5) {
                for (int i = 0; i < 3000; i++) { // shrink
                    byte[] k = b("go:" + i);
                    e.withKey(k, a -> {
                        a.written(a.forWrite().delete(a.stamp(), a.node()));
                        return null;
                    });
                }
            } else if (round == 20) {
                for (int i = 0; i < 20000; i++) { // grow
                    set(e, "new:" + i, "v", 0);
                }
            }
            assertThat(round).isLessThan(100_000);
        } while (cursor != 0);
        for (int i = 0; i < 2000; i++) {
            assertThat(seen).contains("stay:" + i);
        }
    }

    /**
     * A part walk goes on, from the position one engine reached, on another engine holding the
     * same keys in tables of other sizes and other stripe counts (what a cluster SCAN does when
     * the node serving it goes down): every key is visited exactly once, in scan order per part.
     */
    @Test
    void partWalksContinueOnAnotherEngineWithOtherTableSizes() {
        EmbeddedEngine[] engines = {
                new EmbeddedEngine(EngineSettings.of(1, now::get).withStripes(4)),
                new EmbeddedEngine(EngineSettings.of(2, now::get)),
                new EmbeddedEngine(EngineSettings.of(3, now::get).withStripes(1024))};
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 3000; i++) {
            for (EmbeddedEngine e : engines) {
                set(e, "k:" + i, "v", 0);
            }
            expected.add("k:" + i);
        }
        for (int i = 0; i < 20000; i++) {
            set(engines[1], "only-on-2:" + i, "v", 0); // a bigger table there
        }
        for (int i = 0; i < 20000; i++) {
            byte[] k = b("only-on-2:" + i);
            engines[1].withKey(k, a -> {
                a.written(a.forWrite().delete(a.stamp(), a.node()));
                return null;
            });
        }
        List<String> seen = new ArrayList<>();
        int partBits = 8;
        int calls = 0;
        for (int part = 0; part < (1 << partBits); part++) {
            long from = 0;
            long last = -1;
            while (from < (1L << 32)) {
                EmbeddedEngine e = engines[calls++ % engines.length];
                StorageEngine.ScanBudget budget = new StorageEngine.ScanBudget(3, 30);
                List<Long> orders = new ArrayList<>();
                long reached = e.scanPart(partBits, part, from, budget, (k, st) -> {
                    seen.add(new String(k, StandardCharsets.UTF_8));
                    orders.add(StorageEngine.scanOrder(k));
                    return true;
                });
                assertThat(reached).isGreaterThan(from);
                for (long o : orders) {
                    assertThat(o).isGreaterThanOrEqualTo(from).isLessThan(reached);
                }
                from = reached;
                last = from;
            }
            assertThat(last).isEqualTo(1L << 32);
        }
        assertThat(seen).hasSize(expected.size());
        assertThat(new HashSet<>(seen)).isEqualTo(expected);
        assertThat(calls).as("the budget kept each call small").isGreaterThan(3000 / 10);
    }

    @Test
    void scanSkipsAndPurgesExpiredKeys() {
        Recorder recorder = new Recorder();
        engine.addDeltaListener(recorder);
        for (int i = 0; i < 10; i++) {
            set(engine, "ttl:" + i, "v", T0 + 5);
        }
        set("live", "v");
        now.set(T0 + 6);
        assertThat(engine.size()).as("not purged yet").isEqualTo(11);
        List<String> seen = new ArrayList<>();
        long cursor = 0;
        do {
            cursor = engine.scan(cursor, 3, (k, st) -> seen.add(new String(k, StandardCharsets.UTF_8)));
        } while (cursor != 0);
        assertThat(seen).containsExactly("live");
        assertThat(engine.size()).isEqualTo(1);
        assertThat(engine.expiredKeys()).isEqualTo(10);
        assertThat(recorder.deltas).hasSize(21);
    }

    @Test
    void datasetEstimateDrivesTheMemoryLimit() {
        AtomicLong limit = new AtomicLong(0);
        EmbeddedEngine e = new EmbeddedEngine(EngineSettings.of(1, now::get).withMaxmemory(limit::get));
        assertThat(e.datasetBytes()).isZero();
        set(e, "k1", "x".repeat(1000), 0);
        long one = e.datasetBytes();
        assertThat(one).isBetween(1000L, 1300L);
        assertThat(e.overMemoryLimit()).as("no limit").isFalse();
        limit.set(5000);
        int n = 1;
        while (!e.overMemoryLimit()) {
            set(e, "k" + (++n), "x".repeat(1000), 0);
        }
        assertThat(n).isBetween(4, 6);
        e.withKey(b("k1"), a -> {
            a.written(a.forWrite().delete(a.stamp(), a.node()));
            return null;
        });
        e.withKey(b("k2"), a -> {
            a.written(a.forWrite().delete(a.stamp(), a.node()));
            return null;
        });
        assertThat(e.overMemoryLimit()).isFalse();
        for (int i = 1; i <= n; i++) {
            byte[] k = b("k" + i);
            e.withKey(k, a -> {
                if (a.live() != null) {
                    a.written(a.forWrite().delete(a.stamp(), a.node()));
                }
                return null;
            });
        }
        assertThat(e.datasetBytes()).isZero();
        // Collections grow with their elements and shrink back.
        for (int i = 0; i < 100; i++) {
            sadd(e, "set", "member-" + i);
        }
        long hundred = e.datasetBytes();
        assertThat(hundred).isGreaterThan(100 * 64L);
        e.withKey(b("set"), a -> {
            SetValue s = a.forWrite().setForWrite();
            for (int i = 0; i < 50; i++) {
                a.written(KeyState.wrap(s.remove(b("member-" + i), a.stamp(), a.node())));
            }
            return null;
        });
        assertThat(e.datasetBytes()).isLessThan(hundred * 2 / 3);
    }

    @Test
    void randomKeySkipsExpiredKeys() {
        assertThat(engine.randomKey()).isNull();
        set(engine, "gone", "v", T0 + 1);
        set("live", "v");
        now.set(T0 + 10);
        for (int i = 0; i < 20; i++) {
            assertThat(new String(engine.randomKey(), StandardCharsets.UTF_8)).isEqualTo("live");
        }
    }

    @Test
    void forEachStateSeesInvisibleStatesToo() {
        engine.tombstonePolicy(TombstonePolicy.KEEP_ALL);
        set("a", "1");
        set("b", "2");
        del("b");
        List<String> seen = new ArrayList<>();
        for (int p = 0; p < engine.partitions(); p++) {
            engine.forEachState(p, (k, s) -> seen.add(new String(k, StandardCharsets.UTF_8) + "=" + s.exists()));
        }
        assertThat(seen).containsExactlyInAnyOrder("a=true", "b=false");
    }

    @Test
    void nodeIdsAreNumbersOrStableHashes() {
        assertThat(NodeIds.replicaId("42")).isEqualTo(42);
        assertThat(NodeIds.replicaId(" 7 ")).isEqualTo(7);
        assertThat(NodeIds.replicaId("node-a")).isEqualTo(NodeIds.replicaId("node-a")).isNotNegative()
                .isNotEqualTo(NodeIds.replicaId("node-b"));
        assertThat(NodeIds.replicaId("99999999999")).isNotNegative();
        assertThat(engine.replicaId()).isEqualTo(1);
        assertThat(engine.<Long>withKey(b("x"), a -> a.node())).isEqualTo(1);
        assertThat(engine.<ValueType>withKey(b("x"), a -> a.forWrite().type())).isNull();
        assertThat(ValueType.STRING.redisName()).isEqualTo("string");
    }
}
