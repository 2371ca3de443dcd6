package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.KeySim.Kind;
import java.util.EnumSet;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of whole-key states driven by random histories on 3-5 replicas (see {@link KeySim}):
 * convergence under loss, duplication and reordering; the join laws; delta = operation; and
 * tombstone GC that does not break convergence.
 */
class KeyStateProperties {

    static final List<Kind> ALL = List.copyOf(EnumSet.allOf(Kind.class));
    static final List<Kind> STRINGS = List.of(Kind.SET, Kind.SET_EX, Kind.SET_KEEPTTL, Kind.APPEND, Kind.INCRBY,
            Kind.INCRBYFLOAT, Kind.DEL, Kind.EXPIRE, Kind.PERSIST, Kind.PURGE);
    static final List<Kind> HASHES = List.of(Kind.HSET, Kind.HDEL, Kind.HINCRBY, Kind.HINCRBYFLOAT, Kind.DEL,
            Kind.EXPIRE, Kind.PERSIST);

    @Property(tries = 300)
    void stringKeysConverge(@ForAll long seed, @ForAll @IntRange(min = 3, max = 5) int replicas) {
        KeySim sim = new KeySim(seed, replicas, STRINGS);
        sim.run(80);
        sim.deliverAll();
        sim.assertConverged();
    }

    @Property(tries = 300)
    void hashKeysConverge(@ForAll long seed, @ForAll @IntRange(min = 3, max = 5) int replicas) {
        KeySim sim = new KeySim(seed, replicas, HASHES);
        sim.run(80);
        sim.deliverAll();
        sim.assertConverged();
    }

    static final List<Kind> HLLS = List.of(Kind.PFADD, Kind.PFADD_MANY, Kind.PFMERGE, Kind.SET_HLL, Kind.SET, Kind.DEL,
            Kind.EXPIRE, Kind.PERSIST, Kind.PURGE);

    @Property(tries = 200)
    void hllKeysConverge(@ForAll long seed, @ForAll @IntRange(min = 3, max = 5) int replicas) {
        KeySim sim = new KeySim(seed, replicas, HLLS);
        sim.run(80);
        sim.deliverAll();
        sim.assertConverged();
        HllValue h = sim.states[0].hll();
        for (KeyState s : sim.states) {
            assertThat(CrdtCodec.encode(s)).isEqualTo(CrdtCodec.encode(sim.states[0]));
            assertThat(s.hll() == null ? -1 : s.hll().count()).isEqualTo(h == null ? -1 : h.count());
        }
    }

    /** Without deletes or overwrites, every add counts: the registers are those of one HLL fed everything. */
    @Property(tries = 100)
    void hllAddsAllSurviveWithoutDeletes(@ForAll long seed, @ForAll @IntRange(min = 3, max = 5) int replicas) {
        KeySim sim = new KeySim(seed, replicas, List.of(Kind.PFADD, Kind.PFADD_MANY, Kind.PFMERGE));
        sim.run(60);
        sim.deliverAll();
        sim.assertConverged();
        for (KeyState s : sim.states) {
            byte[] registers = s.hll() == null ? new byte[RedisHll.REGISTERS] : s.hll().registers();
            assertThat(registers).isEqualTo(sim.hllAdded);
        }
    }

    @Property(tries = 400)
    void keysOfEveryTypeWithTypeClashesConverge(@ForAll long seed, @ForAll @IntRange(min = 3, max = 5) int replicas) {
        KeySim sim = new KeySim(seed, replicas, ALL);
        sim.run(100);
        sim.deliverAll();
        sim.assertConverged();
        // and the converged state survives the codec unchanged
        KeyState back = CrdtCodec.decode(CrdtCodec.encode(sim.states[0]));
        assertThat(back).isEqualTo(sim.states[0]);
    }

    /**
     * A state that says tombstone GC cannot change it is left exactly as it is by GC at any stable
     * stamp (the store skips such keys when it sweeps), and the latest write it reports is one it
     * holds: at least every value's last write.
     */
    @Property(tries = 300)
    void gcLeavesAloneWhatItSaysItCannotChange(@ForAll long seed) {
        KeySim sim = new KeySim(seed, 3, ALL);
        java.util.Random random = new java.util.Random(seed);
        for (int step = 0; step < 60; step++) {
            sim.run(1);
            for (KeyState s : sim.states) {
                assertThat(s.latestWriteHlc()).isGreaterThanOrEqualTo(s.lastWriteHlc());
                if (s.gcMayChange()) {
                    continue;
                }
                byte[] before = CrdtCodec.encode(s);
                KeyState copy = s.copy();
                long stable = random.nextBoolean() ? Long.MAX_VALUE / 2 : s.latestWriteHlc() + random.nextInt(3) - 1;
                assertThat(copy.gc(Math.max(0, stable))).isFalse();
                assertThat(CrdtCodec.encode(copy)).isEqualTo(before);
            }
        }
    }

    @Property(tries = 300)
    void mergeIsCommutativeAssociativeAndIdempotent(@ForAll long seed) {
        KeySim sim = new KeySim(seed, 3, ALL);
        sim.run(60);
        KeyState a = sim.states[0];
        KeyState b = sim.states[1];
        KeyState c = sim.states[2];
        assertThat(join(a, b)).isEqualTo(join(b, a));
        assertThat(join(join(a, b), c)).isEqualTo(join(a, join(b, c)));
        assertThat(join(a, a)).isEqualTo(a);
        assertThat(join(join(a, b), b)).isEqualTo(join(a, b));
    }

    @Property(tries = 300)
    void applyingADeltaEqualsApplyingTheOperation(@ForAll long seed) {
        KeySim sim = new KeySim(seed, 3, ALL);
        sim.run(50);
        for (int i = 0; i < 10; i++) {
            KeyState before = sim.states[0].copy();
            KeyState other = sim.states[1].copy();
            KeyState delta = sim.write(0);
            KeyState after = sim.states[0];
            if (delta == null) {
                continue;
            }
            // at the origin: state before + delta = state after
            assertThat(join(before, delta)).isEqualTo(after);
            // elsewhere: merging the delta (on top of what was known) = merging the new state
            assertThat(join(join(other, before), delta)).isEqualTo(join(other, after));
            assertThat(join(other, delta).equals(join(other, after)) || !other.equals(join(other, before)))
                    .as("a replica that already had the origin's old state needs only the delta").isTrue();
        }
    }

    @Property(tries = 200)
    void tombstoneGcAtAStablePointKeepsReplicasConvergent(@ForAll long seed, @ForAll @IntRange(min = 3, max = 4) int replicas) {
        KeySim sim = new KeySim(seed, replicas, ALL);
        sim.run(60);
        sim.deliverAll();
        // every write so far reached every replica: the latest HLC anyone issued is stable
        long stable = 0;
        for (HybridLogicalClock c : sim.clocks) {
            stable = Math.max(stable, c.current());
        }
        for (HybridLogicalClock c : sim.clocks) {
            c.setFloor(stable);
        }
        // replicas collect at different moments while new writes race the collection
        boolean[] collected = new boolean[replicas];
        for (int step = 0; step < 80; step++) {
            int r = sim.random.nextInt(replicas);
            if (!collected[r] && sim.random.nextInt(6) == 0) {
                sim.states[r].gc(stable);
                collected[r] = true;
            }
            sim.run(1);
        }
        sim.deliverAll();
        for (int r = 0; r < replicas; r++) {
            sim.states[r].gc(stable);
        }
        sim.assertConverged();
    }

    @Property(tries = 300)
    void countersEqualTheWinningBasePlusEveryIncrementMadeOnIt(@ForAll long seed, @ForAll @IntRange(min = 3, max = 5) int replicas) {
        KeySim sim = new KeySim(seed, replicas, List.of(Kind.INCRBY));
        long winningHlc = 0;
        int winningNode = 0;
        long winningValue = 0;
        long sumOnWinner = 0;
        java.util.Map<Long, Long> sums = new java.util.HashMap<>();
        for (int step = 0; step < 80; step++) {
            int r = sim.random.nextInt(replicas);
            int action = sim.random.nextInt(10);
            if (action < 5) {
                KeyState ks = sim.states[r];
                StringValue sv = ks.string();
                long baseKey = sv == null ? 0 : sv.baseHlc() * 16 + sv.baseNode();
                long by = sim.random.nextInt(2001) - 1000;
                KeyState d = ks.incrBy(by, sim.clocks[r].now(), KeySim.nodeOf(r));
                sums.merge(baseKey, by, Long::sum);
                sim.broadcast(r, d);
            } else if (action < 6) {
                long hlc = sim.clocks[r].now();
                long v = sim.random.nextInt(100);
                KeyState d = sim.states[r].setString(KeySim.b(Long.toString(v)), 0, hlc, KeySim.nodeOf(r));
                if (Stamp.compare(hlc, KeySim.nodeOf(r), winningHlc, winningNode) > 0) {
                    winningHlc = hlc;
                    winningNode = KeySim.nodeOf(r);
                    winningValue = v;
                }
                sim.broadcast(r, d);
            } else {
                sim.deliverOne(sim.random.nextInt(4) == 0);
            }
        }
        sim.deliverAll();
        sim.assertConverged();
        sumOnWinner = sums.getOrDefault(winningHlc * 16 + winningNode, 0L);
        assertThat(sim.states[0].string().longValue()).isEqualTo(winningValue + sumOnWinner);
    }

    private static KeyState join(KeyState x, KeyState y) {
        KeyState r = x.copy();
        r.merge(y);
        return r;
    }
}
