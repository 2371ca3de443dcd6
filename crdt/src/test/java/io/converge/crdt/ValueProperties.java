package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Join-semilattice laws, delta = operation and convergence for {@link StringValue} and
 * {@link HashValue} on their own (without the key envelope), over random histories.
 */
class ValueProperties {

    /** Replicas of one value applying random mutators and exchanging deltas in random order. */
    static final class Sim<V extends CrdtValue<V>> {
        final Random random;
        final List<V> replicas = new ArrayList<>();
        final List<Object[]> inFlight = new ArrayList<>();
        final Mutator<V> mutator;
        long hlc = 1000;

        interface Mutator<V> {
            /** Applies a random write to {@code v}; returns the delta or null. */
            V apply(V v, Random random, long hlc, int node);
        }

        Sim(long seed, int n, Supplier<V> empty, Mutator<V> mutator) {
            this.random = new Random(seed);
            this.mutator = mutator;
            for (int i = 0; i < n; i++) {
                replicas.add(empty.get());
            }
        }

        V write(int r) {
            hlc += 1 + random.nextInt(3);
            V d = mutator.apply(replicas.get(r), random, hlc, r + 1);
            if (d != null) {
                for (int to = 0; to < replicas.size(); to++) {
                    if (to != r) {
                        inFlight.add(new Object[] {to, d.copy()});
                    }
                }
            }
            return d;
        }

        @SuppressWarnings("unchecked")
        void deliver(boolean duplicate) {
            if (inFlight.isEmpty()) {
                return;
            }
            int i = random.nextInt(inFlight.size());
            Object[] m = duplicate ? inFlight.get(i) : inFlight.remove(i);
            replicas.get((Integer) m[0]).merge((V) m[1]);
        }

        void run(int steps) {
            for (int i = 0; i < steps; i++) {
                int c = random.nextInt(10);
                if (c < 5) {
                    write(random.nextInt(replicas.size()));
                } else if (c < 9) {
                    deliver(random.nextInt(4) == 0);
                } else {
                    int a = random.nextInt(replicas.size());
                    int b = random.nextInt(replicas.size());
                    replicas.get(b).merge(replicas.get(a).copy());
                }
            }
        }

        void deliverAll() {
            while (!inFlight.isEmpty()) {
                deliver(false);
            }
        }
    }

    static final String[] VALUES = {"a", "7", "-2", "0.5", "x"};
    static final String[] FLOATS = {"0.1", "-1", "2.5e-3"};

    static StringValue stringOp(StringValue v, Random random, long hlc, int node) {
        try {
            return switch (random.nextInt(5)) {
                case 0 -> v.set(KeySim.b(VALUES[random.nextInt(VALUES.length)]), hlc, node);
                case 1, 2 -> v.incrBy(random.nextInt(21) - 10, hlc, node);
                case 3 -> v.incrByFloat(KeySim.b(FLOATS[random.nextInt(FLOATS.length)]), hlc, node);
                default -> {
                    StringValue t = StringValue.tombstone(hlc, node); // a DEL, as the key envelope does it
                    v.merge(t);
                    yield t;
                }
            };
        } catch (CounterException e) {
            return null;
        }
    }

    static HashValue hashOp(HashValue h, Random random, long hlc, int node) {
        byte[] field = KeySim.b("f" + random.nextInt(3));
        try {
            return switch (random.nextInt(6)) {
                case 0, 1 -> h.hset(field, KeySim.b(VALUES[random.nextInt(VALUES.length)]), hlc, node);
                case 2 -> h.hdel(field, hlc, node);
                case 3 -> h.hincrBy(field, random.nextInt(21) - 10, hlc, node);
                case 4 -> h.hincrByFloat(field, KeySim.b(FLOATS[random.nextInt(FLOATS.length)]), hlc, node);
                default -> {
                    HashValue d = new HashValue();
                    d.removeUpTo(hlc, node); // key-level delete
                    h.merge(d);
                    yield d;
                }
            };
        } catch (CounterException e) {
            return null;
        }
    }

    private static <V extends CrdtValue<V>> V join(V a, V b) {
        V r = a.copy();
        r.merge(b);
        return r;
    }

    private static <V extends CrdtValue<V>> void checkLaws(Sim<V> sim) {
        V a = sim.replicas.get(0);
        V b = sim.replicas.get(1);
        V c = sim.replicas.get(2);
        assertThat(join(a, b)).isEqualTo(join(b, a));
        assertThat(join(join(a, b), c)).isEqualTo(join(a, join(b, c)));
        assertThat(join(a, a)).isEqualTo(a);
    }

    private static <V extends CrdtValue<V>> void checkDeltas(Sim<V> sim) {
        for (int i = 0; i < 10; i++) {
            V before = sim.replicas.get(0).copy();
            V other = sim.replicas.get(1).copy();
            V delta = sim.write(0);
            if (delta == null) {
                continue;
            }
            V after = sim.replicas.get(0);
            assertThat(join(before, delta)).isEqualTo(after);
            assertThat(join(join(other, before), delta)).isEqualTo(join(other, after));
        }
    }

    @Property(tries = 300)
    void stringMergeLaws(@ForAll long seed) {
        Sim<StringValue> sim = new Sim<>(seed, 3, StringValue::new, ValueProperties::stringOp);
        sim.run(60);
        checkLaws(sim);
        checkDeltas(sim);
    }

    @Property(tries = 300)
    void hashMergeLaws(@ForAll long seed) {
        Sim<HashValue> sim = new Sim<>(seed, 3, HashValue::new, ValueProperties::hashOp);
        sim.run(60);
        checkLaws(sim);
        checkDeltas(sim);
    }

    @Property(tries = 300)
    void stringsAndHashesConverge(@ForAll long seed, @ForAll @IntRange(min = 3, max = 5) int n) {
        Sim<StringValue> strings = new Sim<>(seed, n, StringValue::new, ValueProperties::stringOp);
        strings.run(80);
        strings.deliverAll();
        Sim<HashValue> hashes = new Sim<>(seed, n, HashValue::new, ValueProperties::hashOp);
        hashes.run(80);
        hashes.deliverAll();
        for (int i = 1; i < n; i++) {
            assertThat(strings.replicas.get(i)).isEqualTo(strings.replicas.get(0));
            assertThat(strings.replicas.get(i).get()).isEqualTo(strings.replicas.get(0).get());
            assertThat(hashes.replicas.get(i)).isEqualTo(hashes.replicas.get(0));
            assertThat(hashes.replicas.get(i).size()).isEqualTo(hashes.replicas.get(0).size());
        }
    }

    @Property(tries = 300)
    void concurrentIncrementsSumExactlyWithoutResets(@ForAll long seed, @ForAll @IntRange(min = 3, max = 5) int n) {
        long[] total = {0};
        Sim<StringValue> sim = new Sim<>(seed, n, () -> new StringValue(KeySim.b("1000"), 1, 9), (v, random, hlc, node) -> {
            long by = random.nextLong() % 1_000_000_000_000L;
            StringValue d = v.incrBy(by, hlc, node);
            total[0] += by;
            return d;
        });
        sim.run(100);
        sim.deliverAll();
        for (StringValue v : sim.replicas) {
            assertThat(v.longValue()).isEqualTo(1000 + total[0]);
        }
    }
}
