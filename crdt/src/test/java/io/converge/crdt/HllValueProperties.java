package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the HyperLogLog CRDT on its own: lattice laws, delta = operation, convergence
 * under loss, duplication, reordering, delta groups and state transfers; without deletes the
 * visible registers are exactly those of one HLL fed every element; codec round trips,
 * canonical bytes across sparse and dense representations, hostile input.
 */
class HllValueProperties {

    @Provide
    Arbitrary<List<NetworkStep>> scenario() {
        return NetworkStep.scenarios(60);
    }

    /**
     * Plays the scenario (without the final delivery); every local op checks its own delta.
     * {@code model} collects the register-wise maximum of everything added; {@code deletes}
     * records whether any delete ran.
     */
    static ReplicaNetwork<HllValue> play(int replicas, List<NetworkStep> steps, byte[] model, BitSet deletes) {
        ReplicaNetwork<HllValue> net = new ReplicaNetwork<>(replicas, HllValue::new);
        int fresh = 0;
        for (NetworkStep s : steps) {
            if (!s.isLocal()) {
                s.applyNetworkEvent(net);
                continue;
            }
            int r = s.replica(net);
            HllValue state = net.state(r);
            HllValue before = state.copy();
            long hlc = net.tick(r);
            long node = net.node(r);
            int kind = s.roll() % 10;
            HllValue delta;
            if (kind < 5) {
                // a few elements: some shared between replicas, some new
                int n = Math.abs(s.amount()) % 4;
                byte[][] elements = new byte[n][];
                for (int i = 0; i < n; i++) {
                    elements[i] = i % 2 == 0 ? s.memberBytes() : NetworkStep.bytes("e" + fresh++);
                }
                delta = state.add(elements, 0, n, hlc, node).delta();
                addToModel(model, elements);
            } else if (kind < 6) {
                // many elements at once: the contribution crosses the sparse limits
                int n = 1500 + 700 * Math.abs(s.amount());
                byte[][] elements = new byte[n][];
                for (int i = 0; i < n; i++) {
                    elements[i] = NetworkStep.bytes("bulk" + (s.pick() * 7 + i));
                }
                delta = state.add(elements, 0, n, hlc, node).delta();
                addToModel(model, elements);
            } else if (kind < 8) {
                // PFMERGE of another HLL's registers
                byte[] registers = new byte[RedisHll.REGISTERS];
                for (int i = 0; i <= Math.abs(s.amount()) * 3; i++) {
                    int packed = RedisHll.registerOf(NetworkStep.bytes("src" + (s.pick() + i)));
                    registers[packed >>> 8] = (byte) Math.max(registers[packed >>> 8], packed & 0xFF);
                }
                registers[s.pick() % RedisHll.REGISTERS] = (byte) (1 + s.pick() % RedisHll.MAX_REGISTER);
                delta = state.mergeRegisters(registers, hlc, node).delta();
                for (int i = 0; i < registers.length; i++) {
                    model[i] = (byte) Math.max(model[i], registers[i]);
                }
            } else {
                // a key delete, as the key envelope applies it
                HllValue d = new HllValue();
                d.removeUpTo(hlc, node);
                state.merge(d);
                delta = d;
                deletes.set(0);
            }
            net.record(r, before, delta);
        }
        return net;
    }

    private static void addToModel(byte[] model, byte[][] elements) {
        for (byte[] e : elements) {
            int packed = RedisHll.registerOf(e);
            model[packed >>> 8] = (byte) Math.max(model[packed >>> 8], packed & 0xFF);
        }
    }

    static ReplicaNetwork<HllValue> play(int replicas, List<NetworkStep> steps) {
        return play(replicas, steps, new byte[RedisHll.REGISTERS], new BitSet());
    }

    @Property(tries = 150)
    void replicasConvergeOnceEverythingIsDelivered(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                                   @ForAll("scenario") List<NetworkStep> steps) {
        byte[] model = new byte[RedisHll.REGISTERS];
        BitSet deletes = new BitSet();
        ReplicaNetwork<HllValue> net = play(replicas, steps, model, deletes);
        net.deliverAll();
        HllValue first = net.state(0);
        for (int r = 1; r < replicas; r++) {
            assertThat(net.state(r)).isEqualTo(first);
            assertThat(encode(net.state(r))).isEqualTo(encode(first));
            assertThat(net.state(r).count()).isEqualTo(first.count());
        }
        assertThat(net.joinOfAllDeltas()).isEqualTo(first);
        if (deletes.isEmpty()) {
            // every add survives: the registers are those of one HLL fed everything
            assertThat(first.registers()).isEqualTo(model);
            assertThat(first.count()).isEqualTo(RedisHll.count(model));
        }
    }

    @Property(tries = 150)
    void mergeIsAssociativeCommutativeIdempotent(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                                 @ForAll("scenario") List<NetworkStep> steps,
                                                 @ForAll @IntRange(max = 1000) int i,
                                                 @ForAll @IntRange(max = 1000) int j,
                                                 @ForAll @IntRange(max = 1000) int k) {
        List<HllValue> values = valuesOf(play(replicas, steps));
        HllValue a = values.get(i % values.size());
        HllValue b = values.get(j % values.size());
        HllValue c = values.get(k % values.size());
        assertThat(join(a, b)).isEqualTo(join(b, a));
        assertThat(join(join(a, b), c)).isEqualTo(join(a, join(b, c)));
        assertThat(join(a, a)).isEqualTo(a);
        assertThat(join(join(a, b), b)).isEqualTo(join(a, b));
        assertThat(encode(join(a, b))).isEqualTo(encode(join(b, a)));
    }

    @Property(tries = 100)
    void codecRoundTripsCanonically(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                    @ForAll("scenario") List<NetworkStep> steps) {
        for (HllValue v : valuesOf(play(replicas, steps))) {
            byte[] bytes = encode(v);
            CrdtReader r = new CrdtReader(bytes);
            HllValue back = HllValue.decode(r);
            r.expectEnd();
            assertThat(back).isEqualTo(v);
            assertThat(encode(back)).isEqualTo(bytes);
            assertThat(back.count()).isEqualTo(v.count());
            assertThat(back.registers()).isEqualTo(v.registers());
        }
    }

    /** However a contribution's registers are held in memory, equal states encode equally. */
    @Property(tries = 60)
    void sparseAndDenseHoldingsOfTheSameRegistersAreEqualAndEncodeEqually(@ForAll @IntRange(min = 0, max = 6000) int n,
                                                                         @ForAll @IntRange(max = 100) int chunk) {
        byte[][] elements = new byte[n][];
        for (int i = 0; i < n; i++) {
            elements[i] = NetworkStep.bytes("x" + i);
        }
        HllValue oneGo = new HllValue();
        oneGo.add(elements, 0, n, 10, 1);
        HllValue stepwise = new HllValue();
        int step = 1 + chunk * 7;
        for (int from = 0; from < n || from == 0; from += step) {
            stepwise.add(elements, from, Math.min(n, from + step), 10, 1);
        }
        HllValue merged = new HllValue();
        merged.mergeRegisters(oneGo.registers(), 10, 1);
        assertThat(stepwise).isEqualTo(oneGo);
        assertThat(merged).isEqualTo(oneGo);
        assertThat(encode(stepwise)).isEqualTo(encode(oneGo));
        assertThat(encode(merged)).isEqualTo(encode(oneGo));
        HllValue back = HllValue.decode(new CrdtReader(encode(oneGo)));
        assertThat(back).isEqualTo(oneGo);
        assertThat(back.count()).isEqualTo(oneGo.count());
    }

    @Property(tries = 500)
    void decodingArbitraryBytesOnlyThrowsTheCodecException(@ForAll @Size(max = 80) byte[] bytes) {
        decodeHostile(bytes, new HllValue());
    }

    @Property(tries = 150)
    void decodingTruncatedOrMutatedBytesOnlyThrowsTheCodecException(
            @ForAll("scenario") List<NetworkStep> steps, @ForAll @IntRange(max = 100_000) int position,
            @ForAll byte replacement, @ForAll boolean truncate) {
        ReplicaNetwork<HllValue> net = play(3, steps);
        net.deliverAll();
        HllValue valid = net.state(0);
        byte[] bytes = encode(valid);
        int at = position % bytes.length;
        byte[] hostile = truncate ? Arrays.copyOf(bytes, at) : bytes.clone();
        if (!truncate) {
            hostile[at] = replacement;
        }
        decodeHostile(hostile, net.state(1));
    }

    // ------------------------------------------------------------------ helpers

    static void decodeHostile(byte[] bytes, HllValue valid) {
        HllValue decoded;
        try {
            CrdtReader r = new CrdtReader(bytes);
            decoded = HllValue.decode(r);
        } catch (CrdtCodecException expected) {
            return;
        }
        assertThatCode(() -> {
            encode(decoded);
            decoded.count();
            decoded.toRedisString();
            HllValue target = valid.copy();
            target.merge(decoded);
            decoded.copy().merge(valid);
            target.count();
            HllValue.decode(new CrdtReader(encode(target)));
        }).doesNotThrowAnyException();
    }

    static List<HllValue> valuesOf(ReplicaNetwork<HllValue> net) {
        List<HllValue> values = new ArrayList<>();
        for (int r = 0; r < net.replicas(); r++) {
            values.add(net.state(r));
        }
        values.addAll(net.allDeltas());
        return values;
    }

    static HllValue join(HllValue a, HllValue b) {
        HllValue j = a.copy();
        j.merge(b);
        return j;
    }

    static byte[] encode(HllValue v) {
        CrdtWriter w = new CrdtWriter();
        v.encode(w);
        return w.toByteArray();
    }
}
