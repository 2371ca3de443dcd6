package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the sorted set: lattice laws, deltas, convergence (bit-for-bit scores and index
 * order) under a faulty network, exact ZINCRBY sums, codec, and the ordered index against a
 * naive model.
 */
class ZSetValueProperties {

    @Provide
    Arbitrary<List<NetworkStep>> scenario() {
        return NetworkStep.scenarios(80);
    }

    /**
     * Plays the scenario (without the final delivery). Local ops: ZADD, ZINCRBY, ZREM, ZPOPMIN/MAX
     * and DEL. Amounts are multiples of 1.1, so float sums depend on their order and replicas
     * agree bit for bit only if they all add in the same order; ±5 stands for ±infinity, so
     * NaN-producing increments occur and must be refused without changing the state.
     */
    static ReplicaNetwork<ZSetValue> play(int replicas, List<NetworkStep> steps) {
        ReplicaNetwork<ZSetValue> net = new ReplicaNetwork<>(replicas, ZSetValue::new);
        for (NetworkStep s : steps) {
            if (!s.isLocal()) {
                s.applyNetworkEvent(net);
                continue;
            }
            int r = s.replica(net);
            int node = net.node(r);
            ZSetValue state = net.state(r);
            ZSetValue before = state.copy();
            long hlc = net.tick(r);
            double amount = s.amount() == 5 ? Double.POSITIVE_INFINITY
                    : s.amount() == -5 ? Double.NEGATIVE_INFINITY : s.amount() * 1.1; // inexact sums
            int kind = s.roll() % 10;
            ZSetValue delta;
            if (kind < 4) {
                delta = state.add(s.memberBytes(), amount, hlc, node);
            } else if (kind < 7) {
                try {
                    delta = state.incrBy(s.memberBytes(), amount, hlc, node);
                } catch (IllegalArgumentException nan) {
                    assertThat(state).isEqualTo(before);
                    continue;
                }
            } else if (kind == 7) {
                delta = state.remove(s.memberBytes(), hlc, node);
            } else if (kind == 8) {
                delta = s.amount() % 2 == 0 ? state.popMin(hlc, node, (m, sc) -> { })
                        : state.popMax(hlc, node, (m, sc) -> { });
            } else {
                CausalContext observed = state.context().copy();
                state.removeObserved(observed);
                delta = ZSetValue.removalOf(observed);
            }
            state.index().checkInvariants();
            net.record(r, before, delta);
        }
        return net;
    }

    @Property(tries = 300)
    void replicasConvergeOnceEverythingIsDelivered(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                                   @ForAll("scenario") List<NetworkStep> steps) {
        ReplicaNetwork<ZSetValue> net = play(replicas, steps);
        net.deliverAll();
        ZSetValue first = net.state(0);
        assertThat(first.isDelta()).isFalse();
        for (int r = 0; r < replicas; r++) {
            ZSetValue s = net.state(r);
            s.index().checkInvariants();
            assertThat(s).isEqualTo(first);
            assertThat(ordered(s)).isEqualTo(ordered(first));
            assertThat(encode(s)).isEqualTo(encode(first));
            s.index().forEachInRankRange(0, s.size(), false, (m, sc) -> {
                assertThat(sc).isNotNaN();
                assertThat(s.score(m)).isEqualTo(sc);
            });
        }
        assertThat(net.joinOfAllDeltas()).isEqualTo(first);
    }

    @Property(tries = 300)
    void joinOfDeltasEqualsJoinOfStates(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                        @ForAll("scenario") List<NetworkStep> steps) {
        ReplicaNetwork<ZSetValue> net = play(replicas, steps);
        ZSetValue states = new ZSetValue();
        for (int r = 0; r < replicas; r++) {
            states.merge(net.state(r));
        }
        List<ZSetValue> deltas = new ArrayList<>(net.allDeltas());
        Collections.reverse(deltas);
        ZSetValue group = null;
        for (ZSetValue d : deltas) {
            if (group == null) {
                group = d.copy();
            } else {
                group.merge(d);
            }
        }
        ZSetValue reversed = new ZSetValue();
        if (group != null) {
            reversed.merge(group);
        }
        assertThat(net.joinOfAllDeltas()).isEqualTo(states);
        assertThat(reversed).isEqualTo(states);
        assertThat(ordered(reversed)).isEqualTo(ordered(states));
    }

    @Property(tries = 300)
    void mergeIsAssociativeCommutativeIdempotent(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                                 @ForAll("scenario") List<NetworkStep> steps,
                                                 @ForAll @IntRange(max = 1000) int i,
                                                 @ForAll @IntRange(max = 1000) int j,
                                                 @ForAll @IntRange(max = 1000) int k) {
        List<ZSetValue> values = valuesOf(play(replicas, steps));
        ZSetValue a = values.get(i % values.size());
        ZSetValue b = values.get(j % values.size());
        ZSetValue c = values.get(k % values.size());
        assertThat(join(a, b)).isEqualTo(join(b, a));
        assertThat(ordered(join(a, b))).isEqualTo(ordered(join(b, a)));
        assertThat(join(join(a, b), c)).isEqualTo(join(a, join(b, c)));
        assertThat(join(a, a)).isEqualTo(a);
        assertThat(join(join(a, b), b)).isEqualTo(join(a, b));
    }

    /**
     * With only ZADD and ZINCRBY (integer amounts, so sums are exact), every replica ends with
     * score = the value of the latest-stamped ZADD + every increment made on top of that base,
     * wherever and in whatever order they were made. The base an increment applied to is
     * computed from the model: the greatest base stamp its replica knew of, through the
     * operations delivered to it.
     */
    @Property(tries = 300)
    void zincrbySumsExactlySinceTheWinningBase(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                               @ForAll("scenario") List<NetworkStep> steps) {
        ReplicaNetwork<ZSetValue> net = new ReplicaNetwork<>(replicas, ZSetValue::new);
        List<ModelOp> ops = new ArrayList<>();
        for (NetworkStep s : steps) {
            if (!s.isLocal()) {
                s.applyNetworkEvent(net);
                continue;
            }
            int r = s.replica(net);
            int node = net.node(r);
            ZSetValue state = net.state(r);
            ZSetValue before = state.copy();
            long hlc = net.tick(r);
            boolean isAdd = s.roll() % 3 == 0;
            Stamp tag = null;
            ZSetValue delta;
            if (isAdd) {
                delta = state.add(s.memberBytes(), s.amount(), hlc, node);
            } else {
                tag = knownBase(ops, net.seen(r), s.member());
                delta = state.incrBy(s.memberBytes(), s.amount(), hlc, node);
            }
            int id = net.record(r, before, delta);
            assertThat(id).isEqualTo(ops.size());
            ops.add(new ModelOp(s.member(), isAdd, s.amount(), new Stamp(hlc, node), tag));
        }
        net.deliverAll();
        for (int m = 0; m < NetworkStep.MEMBERS.size(); m++) {
            BitSet all = new BitSet();
            all.set(0, ops.size());
            boolean touched = false;
            for (ModelOp op : ops) {
                touched |= op.member() == m;
            }
            Stamp winner = knownBase(ops, all, m);
            double expected = 0;
            for (ModelOp op : ops) {
                if (op.member() == m && op.add() && op.stamp().equals(winner)) {
                    expected += op.amount();
                }
            }
            for (ModelOp op : ops) {
                if (op.member() == m && !op.add() && op.tag().equals(winner)) {
                    expected += op.amount();
                }
            }
            for (int r = 0; r < replicas; r++) {
                ZSetValue s = net.state(r);
                assertThat(s.contains(NetworkStep.MEMBERS.get(m))).isEqualTo(touched);
                if (touched) {
                    assertThat(s.score(NetworkStep.MEMBERS.get(m))).as("member %d", m).isEqualTo(expected);
                }
            }
        }
    }

    /** A ZADD ({@code add}) or ZINCRBY with its stamp and, for ZINCRBY, the base it applied to. */
    record ModelOp(int member, boolean add, double amount, Stamp stamp, Stamp tag) {}

    /** The greatest base stamp of {@code member} known through the operations in {@code seen}. */
    static Stamp knownBase(List<ModelOp> ops, BitSet seen, int member) {
        Stamp best = Stamp.NONE;
        for (int id = seen.nextSetBit(0); id >= 0; id = seen.nextSetBit(id + 1)) {
            ModelOp op = ops.get(id);
            if (op.member() != member) {
                continue;
            }
            Stamp known = op.add() ? op.stamp() : op.tag();
            if (known.compareTo(best) > 0) {
                best = known;
            }
        }
        return best;
    }

    @Property(tries = 200)
    void codecRoundTrips(@ForAll @IntRange(min = 3, max = 5) int replicas,
                         @ForAll("scenario") List<NetworkStep> steps) {
        for (ZSetValue v : valuesOf(play(replicas, steps))) {
            byte[] bytes = encode(v);
            CrdtReader r = new CrdtReader(bytes);
            ZSetValue back = ZSetValue.decode(r);
            r.expectEnd();
            back.index().checkInvariants();
            assertThat(back).isEqualTo(v);
            assertThat(ordered(back)).isEqualTo(ordered(v));
            assertThat(encode(back)).isEqualTo(bytes);
        }
    }

    @Property(tries = 500)
    void decodingArbitraryBytesOnlyThrowsTheCodecException(@ForAll @Size(max = 64) byte[] bytes) {
        decodeHostile(bytes, new ZSetValue());
    }

    @Property(tries = 300)
    void decodingTruncatedOrMutatedBytesOnlyThrowsTheCodecException(
            @ForAll("scenario") List<NetworkStep> steps, @ForAll @IntRange(max = 10_000) int position,
            @ForAll byte replacement, @ForAll boolean truncate) {
        ReplicaNetwork<ZSetValue> net = play(3, steps);
        byte[] bytes = encode(net.state(0));
        int at = position % bytes.length;
        byte[] hostile = truncate ? Arrays.copyOf(bytes, at) : bytes.clone();
        if (!truncate) {
            hostile[at] = replacement;
        }
        decodeHostile(hostile, net.state(1));
    }

    /**
     * On one replica with integer amounts, the sorted set behaves like Redis's: scores, ranks,
     * order, score-range queries and pops agree with a plain map sorted on demand.
     */
    @Property(tries = 300)
    void oneReplicaAgreesWithASortedModel(@ForAll("plainOps") List<int[]> ops, @ForAll long seed) {
        ZSetValue z = new ZSetValue();
        Map<Bytes, Double> model = new HashMap<>();
        long hlc = 1;
        for (int[] op : ops) {
            byte[] member = NetworkStep.bytes("member-" + op[1]);
            Bytes key = Bytes.wrap(member);
            double amount = ZSetIndexProperties.SCORES[op[2]] + 0.0; // the set stores -0.0 as 0.0
            switch (op[0]) {
                case 0, 1, 2 -> {
                    z.add(member, amount, hlc++, 1);
                    model.put(key, amount);
                }
                case 3, 4 -> {
                    double inc = Math.rint(amount == Double.NEGATIVE_INFINITY || amount == Double.POSITIVE_INFINITY
                            ? 4 : amount);
                    z.incrBy(member, inc, hlc++, 1);
                    model.merge(key, inc, Double::sum);
                }
                case 5 -> assertThat(z.remove(member, hlc++, 1) != null).isEqualTo(model.remove(key) != null);
                case 6 -> {
                    List<Map.Entry<Bytes, Double>> sorted = sortedModel(model);
                    List<byte[]> popped = new ArrayList<>();
                    ZSetValue d = z.popMin(hlc++, 1, (m, s) -> popped.add(m));
                    assertThat(d == null).isEqualTo(sorted.isEmpty());
                    if (!sorted.isEmpty()) {
                        assertThat(popped).containsExactly(sorted.get(0).getKey().array());
                        model.remove(sorted.get(0).getKey());
                    }
                }
                case 7 -> {
                    List<Map.Entry<Bytes, Double>> sorted = sortedModel(model);
                    List<byte[]> popped = new ArrayList<>();
                    z.popMax(hlc++, 1, (m, s) -> popped.add(m));
                    if (!sorted.isEmpty()) {
                        assertThat(popped).containsExactly(sorted.get(sorted.size() - 1).getKey().array());
                        model.remove(sorted.get(sorted.size() - 1).getKey());
                    }
                }
                default -> {
                    z.removeObserved(z.context().copy());
                    model.clear();
                }
            }
        }
        z.index().checkInvariants();
        List<Map.Entry<Bytes, Double>> sorted = sortedModel(model);
        List<ZSetIndex.Node> expected = new ArrayList<>();
        for (int r = 0; r < sorted.size(); r++) {
            byte[] member = sorted.get(r).getKey().array();
            expected.add(new ZSetIndex.Node(member, sorted.get(r).getValue()));
            assertThat(z.score(member)).isEqualTo(sorted.get(r).getValue());
            assertThat(z.rank(member)).isEqualTo(r);
            assertThat(z.revRank(member)).isEqualTo(sorted.size() - 1 - r);
        }
        assertThat(z.rank(NetworkStep.bytes("absent"))).isEqualTo(-1);
        assertThat(z.score(NetworkStep.bytes("absent"))).isNaN();
        ZSetIndexProperties.checkAgainstModel(z.index(), expected, new Random(seed));
    }

    @Provide
    Arbitrary<List<int[]>> plainOps() {
        return Arbitraries.integers().between(0, 9).flatMap(kind ->
                Arbitraries.integers().between(0, 24).flatMap(m ->
                        Arbitraries.integers().between(0, ZSetIndexProperties.SCORES.length - 1)
                                .map(s -> new int[] {kind == 9 && m % 4 != 0 ? 0 : kind, m, s})))
                .list().ofMaxSize(150);
    }

    // ------------------------------------------------------------------ helpers

    static List<Map.Entry<Bytes, Double>> sortedModel(Map<Bytes, Double> model) {
        List<Map.Entry<Bytes, Double>> sorted = new ArrayList<>(model.entrySet());
        sorted.sort((x, y) -> ZSetIndex.compare(x.getValue(), x.getKey().array(), y.getValue(), y.getKey().array()));
        return sorted;
    }

    static void decodeHostile(byte[] bytes, ZSetValue valid) {
        ZSetValue decoded;
        try {
            decoded = ZSetValue.decode(new CrdtReader(bytes));
        } catch (CrdtCodecException expected) {
            return;
        }
        assertThatCode(() -> {
            decoded.index().checkInvariants();
            encode(decoded);
            ZSetValue target = valid.copy();
            target.merge(decoded);
            target.index().checkInvariants();
            decoded.copy().merge(valid);
        }).doesNotThrowAnyException();
    }

    static List<ZSetValue> valuesOf(ReplicaNetwork<ZSetValue> net) {
        List<ZSetValue> values = new ArrayList<>();
        for (int r = 0; r < net.replicas(); r++) {
            values.add(net.state(r));
        }
        values.addAll(net.allDeltas());
        return values;
    }

    static ZSetValue join(ZSetValue a, ZSetValue b) {
        ZSetValue j = a.copy();
        j.merge(b);
        return j;
    }

    static byte[] encode(ZSetValue v) {
        CrdtWriter w = new CrdtWriter();
        v.encode(w);
        return w.toByteArray();
    }

    /** The index order as "member=score-bits" strings. */
    static List<String> ordered(ZSetValue v) {
        List<String> out = new ArrayList<>();
        v.index().forEachInRankRange(0, v.size(), false, (m, s) ->
                out.add(Bytes.wrap(m) + "=" + Long.toHexString(Double.doubleToRawLongBits(s))));
        return out;
    }
}
