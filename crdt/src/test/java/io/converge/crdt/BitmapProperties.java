package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of bit writes (SETBIT, BITFIELD) on a string ({@link StringValue#writeBits}): lattice
 * laws, delta = operation, convergence under loss, duplication, reordering, delta groups and
 * state transfers; the converged bytes equal a naive model (per bit, the latest write among the
 * latest base and the bit writes after it); folding stable bit writes into the base changes
 * nothing visible and converges; codec round trips, canonical bytes, hostile input.
 */
class BitmapProperties {

    /** One operation, for the model: a base write (SET, or DEL when bytes is null) or bit writes. */
    record Op(boolean base, byte[] bytes, long offset, int width, long value, long hlc, long node) {}

    @Provide
    Arbitrary<List<NetworkStep>> scenario() {
        return NetworkStep.scenarios(60);
    }

    /**
     * Plays the scenario (without the final delivery), recording every operation in {@code
     * model}; with {@code counters}, some operations are INCRBYs (which the model does not cover).
     */
    static ReplicaNetwork<StringValue> play(int replicas, List<NetworkStep> steps, List<Op> model, boolean counters) {
        ReplicaNetwork<StringValue> net = new ReplicaNetwork<>(replicas, StringValue::new);
        for (NetworkStep s : steps) {
            if (!s.isLocal()) {
                s.applyNetworkEvent(net);
                continue;
            }
            local(net, s, model, counters);
        }
        return net;
    }

    private static void local(ReplicaNetwork<StringValue> net, NetworkStep s, List<Op> model, boolean counters) {
        int r = s.replica(net);
        StringValue state = net.state(r);
        StringValue before = state.copy();
        long hlc = net.tick(r);
        long node = net.node(r);
        int kind = s.roll() % 10;
        StringValue delta;
        if (kind < 6) {
            long offset = s.pick() % 48;
            int width = kind < 3 ? 1 : 1 + Math.abs(s.amount()) * 2;
            long value = s.pick() * 31L + s.roll();
            delta = state.writeBits(offset, width, value, hlc, node);
            model.add(new Op(false, null, offset, width, value, hlc, node));
        } else if (kind < 8 || (kind == 9 && !counters)) {
            byte[] bytes = new byte[Math.abs(s.amount())];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (s.pick() * 7 + i * 13);
            }
            if (kind == 9) {
                bytes = "12".getBytes();
            }
            delta = state.set(bytes, hlc, node);
            model.add(new Op(true, bytes, 0, 0, 0, hlc, node));
        } else if (kind == 8) {
            StringValue d = StringValue.tombstone(hlc, node);
            state.merge(d);
            delta = d;
            model.add(new Op(true, null, 0, 0, 0, hlc, node));
        } else {
            try {
                delta = state.incrBy(s.amount(), hlc, node);
            } catch (CounterException e) {
                delta = null; // not an integer: refused, nothing changed
            }
        }
        net.record(r, before, delta);
    }

    /** What the naive model shows: the latest base, then every later bit write in stamp order. */
    static byte[] modelValue(List<Op> ops) {
        List<Op> sorted = new ArrayList<>(ops);
        sorted.sort(Comparator.comparingLong(Op::hlc).thenComparingLong(Op::node));
        Op base = null;
        for (Op o : sorted) {
            if (o.base()) {
                base = o;
            }
        }
        byte[] out = base == null || base.bytes() == null ? null : base.bytes().clone();
        for (Op o : sorted) {
            if (o.base() || (base != null && Stamp.compare(o.hlc(), o.node(), base.hlc(), base.node()) <= 0)) {
                continue;
            }
            int end = (int) ((o.offset() + o.width() - 1) >>> 3) + 1;
            out = out == null ? new byte[end] : Arrays.copyOf(out, Math.max(out.length, end));
            for (int i = 0; i < o.width(); i++) {
                long at = o.offset() + i;
                int mask = 0x80 >>> (int) (at & 7);
                if (((o.value() >>> (o.width() - 1 - i)) & 1) != 0) {
                    out[(int) (at >>> 3)] |= (byte) mask;
                } else {
                    out[(int) (at >>> 3)] &= (byte) ~mask;
                }
            }
        }
        return out;
    }

    @Property(tries = 200)
    void replicasConvergeToTheModel(@ForAll @IntRange(min = 2, max = 5) int replicas,
                                    @ForAll("scenario") List<NetworkStep> steps) {
        List<Op> model = new ArrayList<>();
        ReplicaNetwork<StringValue> net = play(replicas, steps, model, false);
        net.deliverAll();
        StringValue first = net.state(0);
        for (int r = 1; r < replicas; r++) {
            assertThat(net.state(r)).isEqualTo(first);
            assertThat(encode(net.state(r))).isEqualTo(encode(first));
        }
        assertThat(net.joinOfAllDeltas()).isEqualTo(first);
        assertThat(first.get()).isEqualTo(modelValue(model));
        byte[] shown = first.get();
        assertThat(first.length()).isEqualTo(shown == null ? 0 : shown.length);
        for (long bit = 0; bit < 8L * (shown == null ? 0 : shown.length) + 9; bit++) {
            int expected = shown != null && (bit >>> 3) < shown.length ? (shown[(int) (bit >>> 3)] >> (7 - (bit & 7))) & 1 : 0;
            assertThat(first.bit(bit)).isEqualTo(expected);
        }
    }

    @Property(tries = 150)
    void replicasConvergeWithCountersToo(@ForAll @IntRange(min = 2, max = 5) int replicas,
                                         @ForAll("scenario") List<NetworkStep> steps) {
        ReplicaNetwork<StringValue> net = play(replicas, steps, new ArrayList<>(), true);
        net.deliverAll();
        StringValue first = net.state(0);
        for (int r = 1; r < replicas; r++) {
            assertThat(net.state(r)).isEqualTo(first);
            assertThat(encode(net.state(r))).isEqualTo(encode(first));
            assertThat(net.state(r).get()).isEqualTo(first.get());
        }
        assertThat(net.joinOfAllDeltas()).isEqualTo(first);
    }

    @Property(tries = 150)
    void mergeIsAssociativeCommutativeIdempotent(@ForAll @IntRange(min = 2, max = 5) int replicas,
                                                 @ForAll("scenario") List<NetworkStep> steps,
                                                 @ForAll boolean counters,
                                                 @ForAll @IntRange(max = 1000) int i,
                                                 @ForAll @IntRange(max = 1000) int j,
                                                 @ForAll @IntRange(max = 1000) int k) {
        List<StringValue> values = valuesOf(play(replicas, steps, new ArrayList<>(), counters));
        StringValue a = values.get(i % values.size());
        StringValue b = values.get(j % values.size());
        StringValue c = values.get(k % values.size());
        assertThat(join(a, b)).isEqualTo(join(b, a));
        assertThat(join(join(a, b), c)).isEqualTo(join(a, join(b, c)));
        assertThat(join(a, a)).isEqualTo(a);
        assertThat(join(join(a, b), b)).isEqualTo(join(a, b));
        assertThat(encode(join(a, b))).isEqualTo(encode(join(b, a)));
        assertThat(join(a, b).get()).isEqualTo(join(b, a).get());
    }

    /**
     * Folding (GC at a horizon every replica has reached) on some replicas and not others, then
     * more writes and exchanges: every replica shows what a network that never folded shows, and
     * once all have folded at a horizon past every write they are equal and encode equally.
     */
    @Property(tries = 150)
    void foldingStableBitWritesChangesNothingVisible(@ForAll @IntRange(min = 2, max = 4) int replicas,
                                                    @ForAll("scenario") List<NetworkStep> steps,
                                                    @ForAll("scenario") List<NetworkStep> after,
                                                    @ForAll @IntRange(max = 15) int foldMask) {
        List<Op> model = new ArrayList<>();
        ReplicaNetwork<StringValue> net = play(replicas, steps, model, false);
        net.deliverAll();
        long stable = 0;
        for (Op o : model) {
            stable = Math.max(stable, o.hlc());
        }
        List<StringValue> unfolded = new ArrayList<>();
        for (int r = 0; r < replicas; r++) {
            unfolded.add(net.state(r).copy());
            if ((foldMask & (1 << r)) != 0) {
                byte[] shown = net.state(r).get();
                net.state(r).gc(stable);
                assertThat(net.state(r).get()).isEqualTo(shown);
            }
        }
        // later writes (stamped after the horizon: every clock is past it after delivery)
        for (NetworkStep s : after) {
            if (s.isLocal()) {
                local(net, s, model, false);
            } else {
                s.applyNetworkEvent(net);
            }
        }
        net.deliverAll();
        byte[] expected = modelValue(model);
        for (int r = 0; r < replicas; r++) {
            assertThat(net.state(r).get()).isEqualTo(expected);
        }
        // a second fold at the same horizon: visible unchanged (a replica that folded early may
        // hold a base the others only reach when the later writes are folded too)
        for (int r = 0; r < replicas; r++) {
            net.state(r).gc(stable);
            assertThat(net.state(r).get()).isEqualTo(expected);
        }
        // an unfolded old state merged in changes nothing
        assertThat(join(net.state(0), unfolded.get(0)).get()).isEqualTo(expected);
        // once the horizon passes every write, every replica folds to the same plain register
        long all = 0;
        for (Op o : model) {
            all = Math.max(all, o.hlc());
        }
        for (int r = 0; r < replicas; r++) {
            net.state(r).gc(all);
            assertThat(net.state(r).hasBitWrites()).isFalse();
            assertThat(net.state(r)).isEqualTo(net.state(0));
            assertThat(encode(net.state(r))).isEqualTo(encode(net.state(0)));
        }
        StringValue folded = net.state(0);
        assertThat(folded.get()).isEqualTo(expected);
    }

    @Property(tries = 100)
    void codecRoundTripsCanonically(@ForAll @IntRange(min = 2, max = 5) int replicas,
                                    @ForAll("scenario") List<NetworkStep> steps,
                                    @ForAll boolean counters) {
        for (StringValue v : valuesOf(play(replicas, steps, new ArrayList<>(), counters))) {
            byte[] bytes = encode(v);
            CrdtReader r = new CrdtReader(bytes);
            StringValue back = StringValue.decode(r);
            r.expectEnd();
            assertThat(back).isEqualTo(v);
            assertThat(encode(back)).isEqualTo(bytes);
            assertThat(back.get()).isEqualTo(v.get());
        }
    }

    @Property(tries = 200)
    void sameBitsWrittenInAnyOrderEncodeEqually(@ForAll @Size(max = 200) List<@IntRange(max = 5000) Integer> offsets) {
        StringValue forward = new StringValue();
        StringValue backward = new StringValue();
        for (int i = 0; i < offsets.size(); i++) {
            forward.writeBits(offsets.get(i), 1, i & 1, 100 + i, 1);
        }
        for (int i = offsets.size() - 1; i >= 0; i--) {
            StringValue d = new StringValue();
            d.writeBits(offsets.get(i), 1, i & 1, 100 + i, 1);
            backward.merge(d);
        }
        assertThat(backward).isEqualTo(forward);
        assertThat(encode(backward)).isEqualTo(encode(forward));
        assertThat(backward.get()).isEqualTo(forward.get());
    }

    @Property(tries = 500)
    void decodingArbitraryBytesOnlyThrowsTheCodecException(@ForAll @Size(max = 80) byte[] bytes) {
        decodeHostile(bytes, new StringValue());
    }

    @Property(tries = 150)
    void decodingTruncatedOrMutatedBytesOnlyThrowsTheCodecException(
            @ForAll("scenario") List<NetworkStep> steps, @ForAll @IntRange(max = 100_000) int position,
            @ForAll byte replacement, @ForAll boolean truncate) {
        ReplicaNetwork<StringValue> net = play(3, steps, new ArrayList<>(), true);
        net.deliverAll();
        byte[] bytes = encode(net.state(0));
        int at = position % bytes.length;
        byte[] hostile = truncate ? Arrays.copyOf(bytes, at) : bytes.clone();
        if (!truncate) {
            hostile[at] = replacement;
        }
        decodeHostile(hostile, net.state(1));
    }

    // ------------------------------------------------------------------ helpers

    static void decodeHostile(byte[] bytes, StringValue valid) {
        StringValue decoded;
        try {
            decoded = StringValue.decode(new CrdtReader(bytes));
        } catch (CrdtCodecException expected) {
            return;
        }
        assertThatCode(() -> {
            encode(decoded);
            decoded.get();
            decoded.length();
            decoded.bit(3);
            StringValue target = valid.copy();
            target.merge(decoded);
            decoded.copy().merge(valid);
            target.get();
            target.gc(Long.MAX_VALUE >>> 1);
            StringValue.decode(new CrdtReader(encode(target)));
        }).doesNotThrowAnyException();
    }

    static List<StringValue> valuesOf(ReplicaNetwork<StringValue> net) {
        List<StringValue> values = new ArrayList<>();
        for (int r = 0; r < net.replicas(); r++) {
            values.add(net.state(r));
        }
        values.addAll(net.allDeltas());
        return values;
    }

    static StringValue join(StringValue a, StringValue b) {
        StringValue j = a.copy();
        j.merge(b);
        return j;
    }

    static byte[] encode(StringValue v) {
        CrdtWriter w = new CrdtWriter();
        v.encode(w);
        return w.toByteArray();
    }
}
