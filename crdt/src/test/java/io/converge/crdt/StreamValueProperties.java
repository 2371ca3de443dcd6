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
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the stream CRDT: lattice laws, delta = operation, convergence under a faulty
 * network (loss, duplication, reordering, delta groups, state transfers), add-wins against
 * concurrent removes, unique auto IDs, codec round trip and hostile input, and a one-replica
 * model (a sorted map of ID to pairs with a last ID).
 */
class StreamValueProperties {

    @Provide
    Arbitrary<List<NetworkStep>> scenario() {
        return NetworkStep.scenarios(80);
    }

    /**
     * Plays the scenario: auto-ID adds (tagged per replica), explicit-ID adds that can collide
     * across replicas, XDEL of one ID, trims of the first entries, and DEL.
     */
    static ReplicaNetwork<StreamValue> play(int replicas, List<NetworkStep> steps) {
        ReplicaNetwork<StreamValue> net = new ReplicaNetwork<>(replicas, StreamValue::new);
        for (NetworkStep s : steps) {
            if (!s.isLocal()) {
                s.applyNetworkEvent(net);
                continue;
            }
            int r = s.replica(net);
            StreamValue state = net.state(r);
            StreamValue before = state.copy();
            long hlc = net.tick(r);
            int kind = s.roll() % 10;
            StreamValue delta;
            if (kind < 4) {
                StreamId id = StreamId.autoId(state.lastId(), hlc / 3, r);
                delta = state.add(id, pairs(s), hlc, net.node(r));
            } else if (kind < 6) {
                // Explicit IDs just above the last one: replicas at the same point pick the same.
                StreamId last = state.lastId();
                StreamId id = new StreamId(last.ms() + 1 + (s.amount() & 1), 0);
                delta = state.add(id, pairs(s), hlc, net.node(r));
            } else if (kind < 8) {
                List<StreamId> ids = ids(state);
                delta = ids.isEmpty() ? null
                        : state.remove(List.of(ids.get(s.pick() % ids.size())), hlc, net.node(r), true);
            } else if (kind < 9) {
                List<StreamId> ids = ids(state);
                int n = Math.min(ids.size(), Math.abs(s.amount()));
                delta = state.remove(ids.subList(0, n), hlc, net.node(r), false);
            } else {
                CausalContext observed = state.context().copy();
                state.removeObserved(observed);
                state.removeUpTo(hlc, net.node(r));
                delta = StreamValue.removalOf(observed, hlc, net.node(r));
            }
            net.record(r, before, delta);
        }
        return net;
    }

    private static byte[][] pairs(NetworkStep s) {
        return new byte[][] {NetworkStep.bytes("f"), s.memberBytes()};
    }

    static List<StreamId> ids(StreamValue v) {
        List<StreamId> out = new ArrayList<>();
        v.range(StreamId.MIN, StreamId.MAX, false, (id, p) -> out.add(id));
        return out;
    }

    @Property(tries = 300)
    void replicasConvergeOnceEverythingIsDelivered(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                                   @ForAll("scenario") List<NetworkStep> steps) {
        ReplicaNetwork<StreamValue> net = play(replicas, steps);
        net.deliverAll();
        StreamValue first = net.state(0);
        assertThat(first.isDelta()).isFalse();
        for (int r = 1; r < replicas; r++) {
            assertThat(net.state(r)).isEqualTo(first);
            assertThat(ids(net.state(r))).isEqualTo(ids(first));
            assertThat(net.state(r).lastId()).isEqualTo(first.lastId());
            assertThat(encode(net.state(r))).isEqualTo(encode(first));
        }
        assertThat(net.joinOfAllDeltas()).isEqualTo(first);
        assertThat(first.size()).isEqualTo(ids(first).size());
    }

    @Property(tries = 300)
    void joinOfDeltasEqualsJoinOfStates(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                        @ForAll("scenario") List<NetworkStep> steps) {
        ReplicaNetwork<StreamValue> net = play(replicas, steps);
        StreamValue states = new StreamValue();
        for (int r = 0; r < replicas; r++) {
            states.merge(net.state(r));
        }
        List<StreamValue> deltas = new ArrayList<>(net.allDeltas());
        java.util.Collections.reverse(deltas);
        StreamValue group = null;
        for (StreamValue d : deltas) {
            if (group == null) {
                group = d.copy();
            } else {
                group.merge(d);
            }
        }
        StreamValue reversed = new StreamValue();
        if (group != null) {
            reversed.merge(group);
        }
        assertThat(net.joinOfAllDeltas()).isEqualTo(states);
        assertThat(reversed).isEqualTo(states);
    }

    @Property(tries = 300)
    void mergeIsAssociativeCommutativeIdempotent(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                                 @ForAll("scenario") List<NetworkStep> steps,
                                                 @ForAll @IntRange(max = 1000) int i,
                                                 @ForAll @IntRange(max = 1000) int j,
                                                 @ForAll @IntRange(max = 1000) int k) {
        List<StreamValue> values = valuesOf(play(replicas, steps));
        StreamValue a = values.get(i % values.size());
        StreamValue b = values.get(j % values.size());
        StreamValue c = values.get(k % values.size());
        assertThat(join(a, b)).isEqualTo(join(b, a));
        assertThat(join(join(a, b), c)).isEqualTo(join(a, join(b, c)));
        assertThat(join(a, a)).isEqualTo(a);
        assertThat(join(join(a, b), b)).isEqualTo(join(a, b));
    }

    @Property(tries = 200)
    void autoIdsOfDifferentReplicasNeverCollide(@ForAll("scenario") List<NetworkStep> steps) {
        // Every replica generates from its own view; the IDs of all of them are distinct.
        ReplicaNetwork<StreamValue> net = new ReplicaNetwork<>(3, StreamValue::new);
        Set<StreamId> made = new HashSet<>();
        for (NetworkStep s : steps) {
            if (!s.isLocal()) {
                s.applyNetworkEvent(net);
                continue;
            }
            int r = s.replica(net);
            long hlc = net.tick(r);
            int tag = r == 0 ? -1 : r; // replica 0 plays the primary
            StreamId id = StreamId.autoId(net.state(r).lastId(), hlc / 5, tag);
            assertThat(id).isGreaterThan(net.state(r).lastId());
            assertThat(made.add(id)).as("duplicate %s", id).isTrue();
            net.record(r, net.state(r).copy(), net.state(r).add(id, pairs(s), hlc, net.node(r)));
        }
    }

    @Property(tries = 200)
    void aRemoveNeverRemovesAnAddItHadNotSeen(@ForAll("scenario") List<NetworkStep> steps) {
        ReplicaNetwork<StreamValue> net = play(3, steps);
        StreamValue a = net.state(0);
        StreamValue b = net.state(1).copy();
        StreamId next = StreamId.autoId(b.lastId(), 1_000_000, 1);
        b.add(next, new byte[][] {NetworkStep.bytes("x"), NetworkStep.bytes("y")}, 1_000_000, net.node(1));
        // a removes everything it has seen, concurrently with b's add.
        StreamValue removal = StreamValue.removalOf(a.context(), 1, net.node(0));
        StreamValue joined = join(b, removal);
        assertThat(joined.get(next)).isNotNull();
    }

    @Property(tries = 200)
    void codecRoundTrips(@ForAll @IntRange(min = 3, max = 5) int replicas,
                         @ForAll("scenario") List<NetworkStep> steps) {
        for (StreamValue v : valuesOf(play(replicas, steps))) {
            byte[] bytes = encode(v);
            CrdtReader r = new CrdtReader(bytes);
            StreamValue back = StreamValue.decode(r);
            r.expectEnd();
            assertThat(back).isEqualTo(v);
            assertThat(encode(back)).isEqualTo(bytes);
        }
    }

    @Property(tries = 500)
    void decodingArbitraryBytesOnlyThrowsTheCodecException(@ForAll @Size(max = 64) byte[] bytes) {
        decodeHostile(bytes, new StreamValue());
    }

    @Property(tries = 300)
    void decodingTruncatedOrMutatedBytesOnlyThrowsTheCodecException(
            @ForAll("scenario") List<NetworkStep> steps, @ForAll @IntRange(max = 10_000) int position,
            @ForAll byte replacement, @ForAll boolean truncate) {
        ReplicaNetwork<StreamValue> net = play(3, steps);
        byte[] bytes = encode(net.state(0));
        int at = position % bytes.length;
        byte[] hostile = truncate ? Arrays.copyOf(bytes, at) : bytes.clone();
        if (!truncate) {
            hostile[at] = replacement;
        }
        decodeHostile(hostile, net.state(1));
    }

    @Property(tries = 300)
    void oneReplicaBehavesLikeASortedMap(@ForAll("plainOps") List<int[]> ops) {
        StreamValue stream = new StreamValue();
        TreeMap<StreamId, String> model = new TreeMap<>();
        StreamId modelLast = StreamId.MIN;
        long hlc = 1;
        for (int[] op : ops) {
            if (op[0] < 5) {
                StreamId id = op[0] < 3 ? StreamId.autoId(stream.lastId(), op[1], -1)
                        : StreamId.withAutoSeq(stream.lastId().ms() + op[1] % 2, stream.lastId());
                String v = "v" + op[1];
                stream.add(id, new byte[][] {NetworkStep.bytes("f"), NetworkStep.bytes(v)}, hlc++, 1);
                model.put(id, v);
                modelLast = id;
            } else if (op[0] < 8) {
                StreamId id = model.isEmpty() ? new StreamId(op[1], 0)
                        : new ArrayList<>(model.keySet()).get(op[1] % model.size());
                StreamValue d = stream.remove(List.of(id), hlc++, 1, true);
                assertThat(d != null).isEqualTo(model.remove(id) != null);
            } else if (op[0] < 9) {
                List<StreamId> first = new ArrayList<>(model.keySet()).subList(0, Math.min(model.size(), op[1] % 4));
                stream.remove(new ArrayList<>(first), hlc++, 1, false);
                first.forEach(model::remove);
            } else {
                // DEL as the key envelope applies it: the observed context and the watermark.
                stream.removeObserved(stream.context().copy());
                stream.removeUpTo(hlc++, 1);
                model.clear();
                modelLast = StreamId.MIN;
            }
            assertThat(stream.size()).isEqualTo(model.size());
            assertThat(stream.lastId()).isEqualTo(modelLast);
        }
        List<String> values = new ArrayList<>();
        stream.range(StreamId.MIN, StreamId.MAX, false, (id, p) -> values.add(new String(p[1])));
        List<String> expected = new ArrayList<>();
        for (Map.Entry<StreamId, String> e : model.entrySet()) {
            expected.add(e.getValue());
        }
        assertThat(values).isEqualTo(expected);
        List<StreamId> reversed = new ArrayList<>();
        stream.range(StreamId.MIN, StreamId.MAX, true, (id, p) -> reversed.add(id));
        assertThat(reversed).isEqualTo(new ArrayList<>(model.descendingKeySet()));
    }

    @Provide
    Arbitrary<List<int[]>> plainOps() {
        return Arbitraries.integers().between(0, 9).flatMap(kind ->
                Arbitraries.integers().between(0, 39).map(m -> new int[] {kind, m})).list().ofMaxSize(200);
    }

    // ------------------------------------------------------------------ helpers

    static void decodeHostile(byte[] bytes, StreamValue valid) {
        StreamValue decoded;
        try {
            decoded = StreamValue.decode(new CrdtReader(bytes));
        } catch (CrdtCodecException expected) {
            return;
        }
        assertThatCode(() -> {
            encode(decoded);
            StreamValue target = valid.copy();
            target.merge(decoded);
            decoded.copy().merge(valid);
            target.size();
            ids(target);
        }).doesNotThrowAnyException();
    }

    static List<StreamValue> valuesOf(ReplicaNetwork<StreamValue> net) {
        List<StreamValue> values = new ArrayList<>();
        for (int r = 0; r < net.replicas(); r++) {
            values.add(net.state(r));
        }
        values.addAll(net.allDeltas());
        return values;
    }

    static StreamValue join(StreamValue a, StreamValue b) {
        StreamValue j = a.copy();
        j.merge(b);
        return j;
    }

    static byte[] encode(StreamValue v) {
        CrdtWriter w = new CrdtWriter();
        v.encode(w);
        return w.toByteArray();
    }
}
