package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of the add-wins set: lattice laws, deltas, convergence under a faulty network, codec. */
class SetValueProperties {

    @Provide
    Arbitrary<List<NetworkStep>> scenario() {
        return NetworkStep.scenarios(80);
    }

    /** Plays the scenario (without the final delivery); every local op checks its own delta. */
    static ReplicaNetwork<SetValue> play(int replicas, List<NetworkStep> steps) {
        ReplicaNetwork<SetValue> net = new ReplicaNetwork<>(replicas, SetValue::new);
        for (NetworkStep s : steps) {
            if (!s.isLocal()) {
                s.applyNetworkEvent(net);
                continue;
            }
            int r = s.replica(net);
            SetValue state = net.state(r);
            SetValue before = state.copy();
            long hlc = net.tick(r);
            int kind = s.roll() % 10;
            SetValue delta;
            if (kind < 6) {
                delta = state.add(s.memberBytes(), hlc, net.node(r));
            } else if (kind < 9) {
                delta = state.remove(s.memberBytes(), hlc, net.node(r));
            } else {
                CausalContext observed = state.context().copy();
                state.removeObserved(observed);
                delta = SetValue.removalOf(observed);
            }
            net.record(r, before, delta);
        }
        return net;
    }

    @Property(tries = 300)
    void replicasConvergeOnceEverythingIsDelivered(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                                   @ForAll("scenario") List<NetworkStep> steps) {
        ReplicaNetwork<SetValue> net = play(replicas, steps);
        net.deliverAll();
        SetValue first = net.state(0);
        assertThat(first.isDelta()).isFalse();
        for (int r = 1; r < replicas; r++) {
            assertThat(net.state(r)).isEqualTo(first);
            assertThat(sortedMembers(net.state(r))).isEqualTo(sortedMembers(first));
            assertThat(encode(net.state(r))).isEqualTo(encode(first));
        }
        assertThat(net.joinOfAllDeltas()).isEqualTo(first);
    }

    @Property(tries = 300)
    void joinOfDeltasEqualsJoinOfStates(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                        @ForAll("scenario") List<NetworkStep> steps) {
        ReplicaNetwork<SetValue> net = play(replicas, steps);
        SetValue states = new SetValue();
        for (int r = 0; r < replicas; r++) {
            states.merge(net.state(r));
        }
        SetValue deltasInOrder = net.joinOfAllDeltas();
        SetValue deltasReversed = new SetValue();
        List<SetValue> deltas = new ArrayList<>(net.allDeltas());
        java.util.Collections.reverse(deltas);
        SetValue group = null;
        for (SetValue d : deltas) {
            if (group == null) {
                group = d.copy();
            } else {
                group.merge(d);
            }
        }
        if (group != null) {
            deltasReversed.merge(group);
        }
        assertThat(deltasInOrder).isEqualTo(states);
        assertThat(deltasReversed).isEqualTo(states);
    }

    @Property(tries = 300)
    void mergeIsAssociativeCommutativeIdempotent(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                                 @ForAll("scenario") List<NetworkStep> steps,
                                                 @ForAll @IntRange(max = 1000) int i,
                                                 @ForAll @IntRange(max = 1000) int j,
                                                 @ForAll @IntRange(max = 1000) int k) {
        List<SetValue> values = valuesOf(play(replicas, steps));
        SetValue a = values.get(i % values.size());
        SetValue b = values.get(j % values.size());
        SetValue c = values.get(k % values.size());
        assertThat(join(a, b)).isEqualTo(join(b, a));
        assertThat(join(join(a, b), c)).isEqualTo(join(a, join(b, c)));
        assertThat(join(a, a)).isEqualTo(a);
        assertThat(join(join(a, b), b)).isEqualTo(join(a, b));
    }

    @Property(tries = 200)
    void codecRoundTrips(@ForAll @IntRange(min = 3, max = 5) int replicas,
                         @ForAll("scenario") List<NetworkStep> steps) {
        for (SetValue v : valuesOf(play(replicas, steps))) {
            byte[] bytes = encode(v);
            CrdtReader r = new CrdtReader(bytes);
            SetValue back = SetValue.decode(r);
            r.expectEnd();
            assertThat(back).isEqualTo(v);
            assertThat(encode(back)).isEqualTo(bytes);
        }
    }

    @Property(tries = 500)
    void decodingArbitraryBytesOnlyThrowsTheCodecException(@ForAll @Size(max = 64) byte[] bytes) {
        decodeHostile(bytes, new SetValue());
    }

    @Property(tries = 300)
    void decodingTruncatedOrMutatedBytesOnlyThrowsTheCodecException(
            @ForAll("scenario") List<NetworkStep> steps, @ForAll @IntRange(max = 10_000) int position,
            @ForAll byte replacement, @ForAll boolean truncate) {
        ReplicaNetwork<SetValue> net = play(3, steps);
        SetValue valid = net.state(0);
        byte[] bytes = encode(valid);
        int at = position % bytes.length;
        byte[] hostile = truncate ? Arrays.copyOf(bytes, at) : bytes.clone();
        if (!truncate) {
            hostile[at] = replacement;
        }
        decodeHostile(hostile, net.state(1));
    }

    @Property(tries = 300)
    void oneReplicaBehavesLikeAPlainSet(@ForAll("plainOps") List<int[]> ops) {
        SetValue set = new SetValue();
        Set<Bytes> model = new HashSet<>();
        long hlc = 1;
        for (int[] op : ops) {
            byte[] member = NetworkStep.bytes("member-" + op[1]);
            if (op[0] < 6) {
                set.add(member, hlc++, 1);
                model.add(Bytes.wrap(member));
            } else if (op[0] < 9) {
                SetValue d = set.remove(member, hlc++, 1);
                assertThat(d != null).isEqualTo(model.remove(Bytes.wrap(member)));
            } else {
                set.removeObserved(set.context().copy());
                model.clear();
            }
            assertThat(set.size()).isEqualTo(model.size());
            assertThat(set.contains(member)).isEqualTo(model.contains(Bytes.wrap(member)));
        }
        Set<Bytes> listed = new HashSet<>();
        for (int i = 0; i < set.size(); i++) {
            listed.add(Bytes.wrap(set.memberAt(i)));
        }
        assertThat(listed).isEqualTo(model);
        for (Bytes b : model) {
            assertThat(set.contains(b.array())).isTrue();
        }
    }

    @Provide
    Arbitrary<List<int[]>> plainOps() {
        return Arbitraries.integers().between(0, 9).flatMap(kind ->
                Arbitraries.integers().between(0, 39).map(m -> new int[] {kind, m})).list().ofMaxSize(200);
    }

    // ------------------------------------------------------------------ helpers

    /** Decodes {@code bytes}; only CrdtCodecException may escape, and a value that decodes is usable. */
    static void decodeHostile(byte[] bytes, SetValue valid) {
        SetValue decoded;
        try {
            decoded = SetValue.decode(new CrdtReader(bytes));
        } catch (CrdtCodecException expected) {
            return;
        }
        assertThatCode(() -> {
            encode(decoded);
            SetValue target = valid.copy();
            target.merge(decoded);
            decoded.copy().merge(valid);
            target.size();
        }).doesNotThrowAnyException();
    }

    static List<SetValue> valuesOf(ReplicaNetwork<SetValue> net) {
        List<SetValue> values = new ArrayList<>();
        for (int r = 0; r < net.replicas(); r++) {
            values.add(net.state(r));
        }
        values.addAll(net.allDeltas());
        return values;
    }

    static SetValue join(SetValue a, SetValue b) {
        SetValue j = a.copy();
        j.merge(b);
        return j;
    }

    static byte[] encode(SetValue v) {
        CrdtWriter w = new CrdtWriter();
        v.encode(w);
        return w.toByteArray();
    }

    static List<Bytes> sortedMembers(SetValue v) {
        List<Bytes> out = new ArrayList<>();
        v.forEachMember(m -> out.add(Bytes.wrap(m)));
        out.sort(null);
        return out;
    }
}
