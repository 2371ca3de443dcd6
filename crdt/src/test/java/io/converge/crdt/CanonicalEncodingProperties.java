package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The codec is canonical: two key states that are {@code equals} encode to identical bytes,
 * whatever operations, merge orders and groupings, garbage collections and codec round trips
 * produced them (anti-entropy compares replicas by hashing these bytes). States come from random
 * histories on several replicas ({@link KeySim}: every KeyState mutator, type clashes, expiry and
 * purges), plus the states a server leaves behind (values inflated by reads, values created for
 * a write that was then refused), joined in random orders and groupings.
 */
class CanonicalEncodingProperties {

    @Property(tries = 400)
    void equalStatesEncodeToIdenticalBytes(@ForAll long seed, @ForAll @IntRange(min = 2, max = 4) int replicas) {
        KeySim sim = new KeySim(seed, replicas, KeyStateProperties.ALL);
        Random random = sim.random;
        List<KeyState> pool = new ArrayList<>();
        for (int step = 0; step < 70; step++) {
            int r = random.nextInt(replicas);
            int choice = random.nextInt(20);
            if (choice < 9) {
                KeyState d = sim.write(r);
                if (d != null) {
                    pool.add(d.copy());
                }
            } else if (choice < 14) {
                sim.deliverOne(random.nextInt(4) == 0);
            } else if (choice < 15) {
                sim.pushState(r, random.nextInt(replicas));
            } else if (choice < 16) {
                sim.time += random.nextInt(60);
            } else if (choice < 18) {
                serverLeftovers(sim.states[r], random);
            } else {
                pool.add(sim.states[r].copy());
            }
        }
        for (KeyState s : sim.states) {
            pool.add(s.copy());
        }
        // The same states again, joined in different orders and groupings: pairwise equal.
        for (int i = 0; i < 12; i++) {
            List<KeyState> parts = new ArrayList<>();
            int n = 1 + random.nextInt(5);
            for (int k = 0; k < n; k++) {
                parts.add(pool.get(random.nextInt(pool.size())));
            }
            KeyState folded = new KeyState();
            for (KeyState p : parts) {
                folded.merge(p);
            }
            List<KeyState> shuffled = new ArrayList<>(parts);
            java.util.Collections.shuffle(shuffled, random);
            KeyState grouped = tree(shuffled, random);
            assertThat(grouped).isEqualTo(folded);
            assertSameBytes(folded, grouped);
            pool.add(folded);
            pool.add(grouped);
        }
        // Converged replicas, then garbage-collected at a stable point by each one on its own.
        sim.deliverAll();
        for (int r = 1; r < replicas; r++) {
            sim.states[0].merge(sim.states[r]);
        }
        for (int r = 1; r < replicas; r++) {
            sim.states[r].merge(sim.states[0]);
            assertSameBytes(sim.states[0], sim.states[r]);
        }
        long stable = 0;
        for (HybridLogicalClock c : sim.clocks) {
            stable = Math.max(stable, c.current());
        }
        KeyState[] collected = new KeyState[replicas];
        for (int r = 0; r < replicas; r++) {
            collected[r] = sim.states[r].copy();
            if (random.nextBoolean()) {
                collected[r] = CrdtCodec.decode(CrdtCodec.encode(collected[r]));
            }
            collected[r].gc(stable);
            pool.add(collected[r]);
        }
        for (int r = 1; r < replicas; r++) {
            assertThat(collected[r]).isEqualTo(collected[0]);
            assertSameBytes(collected[0], collected[r]);
        }
        // Every pair of equal states, and every codec round trip.
        for (int i = 0; i < pool.size(); i++) {
            KeyState a = pool.get(i);
            byte[] bytes = CrdtCodec.encode(a);
            KeyState back = CrdtCodec.decode(bytes);
            assertThat(back).isEqualTo(a);
            assertThat(CrdtCodec.encode(back)).as("encode(decode(encode(s))) of %s", a).isEqualTo(bytes);
            for (int j = 0; j < i; j++) {
                KeyState b = pool.get(j);
                if (a.equals(b)) {
                    assertSameBytes(a, b);
                }
            }
        }
    }

    /**
     * What a server can leave in a state besides merges and mutator results: an inline string
     * inflated by a read, or an empty value created for a write that was then refused (a
     * HINCRBYFLOAT, ZINCRBY or SREM that changed nothing) or found nothing to do.
     */
    private static void serverLeftovers(KeyState ks, Random random) {
        ValueType visible = ks.type();
        switch (random.nextInt(6)) {
            case 0 -> ks.string();
            case 1 -> ks.value();
            case 5 -> {
                if (ks.hll() != null) {
                    ks.hll().count(); // caches the count
                }
            }
            case 2 -> {
                if (visible == null || visible == ValueType.SET) {
                    ks.setForWrite().remove(KeySim.b("absent"), 1, 1);
                }
            }
            case 3 -> {
                if (visible == null || visible == ValueType.ZSET) {
                    ks.zsetForWrite().remove(KeySim.b("absent"), 1, 1);
                }
            }
            default -> {
                if (visible == null || visible == ValueType.HASH) {
                    try {
                        ks.hashForWrite().hincrByFloat(KeySim.b("f9"), KeySim.b("inf"), 1, 1);
                    } catch (CounterException refused) {
                        // refused before changing anything, as intended
                    }
                }
            }
        }
    }

    /** Joins {@code parts} as a random binary tree (a different grouping than a left fold). */
    private static KeyState tree(List<KeyState> parts, Random random) {
        if (parts.size() == 1) {
            KeyState only = new KeyState();
            only.merge(parts.get(0));
            return only;
        }
        int cut = 1 + random.nextInt(parts.size() - 1);
        KeyState left = tree(parts.subList(0, cut), random);
        KeyState right = tree(parts.subList(cut, parts.size()), random);
        if (random.nextBoolean()) {
            left.merge(right);
            return left;
        }
        right.merge(left);
        return right;
    }

    private static void assertSameBytes(KeyState a, KeyState b) {
        byte[] x = CrdtCodec.encode(a);
        byte[] y = CrdtCodec.encode(b);
        assertThat(HexFormat.of().formatHex(y)).as("equal states %s and %s", a, b).isEqualTo(HexFormat.of().formatHex(x));
    }
}
