package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the list CRDT: lattice laws, deltas, convergence under a faulty network (every
 * push survives unless a remove observed it), codec, and one replica against a plain list.
 */
class ListValueProperties {

    @Provide
    Arbitrary<List<NetworkStep>> scenario() {
        return NetworkStep.scenarios(80);
    }

    /**
     * Plays the scenario (without the final delivery); every local op checks its own delta.
     * Pushed values are unique ("op-N"), so the test can tell which pushes survive.
     */
    static ReplicaNetwork<ListValue> play(int replicas, List<NetworkStep> steps, Map<String, Integer> pushOps,
            BitSet removeOps) {
        ReplicaNetwork<ListValue> net = new ReplicaNetwork<>(replicas, ListValue::new);
        int pushes = 0;
        for (NetworkStep s : steps) {
            if (!s.isLocal()) {
                s.applyNetworkEvent(net);
                continue;
            }
            int r = s.replica(net);
            ListValue state = net.state(r);
            ListValue before = state.copy();
            long hlc = net.tick(r);
            long node = net.node(r);
            int kind = s.roll() % 10;
            int size = state.size();
            ListValue delta;
            List<String> pushed = new ArrayList<>();
            boolean removes = false;
            if (kind < 3 || size == 0) {
                int n = 1 + Math.abs(s.amount()) % 3;
                byte[][] values = new byte[n][];
                for (int i = 0; i < n; i++) {
                    String v = "op-" + pushes++;
                    values[i] = NetworkStep.bytes(v);
                    pushed.add(v);
                }
                delta = state.push(s.pick() % 2 == 0, values, 0, n, hlc, node);
            } else if (kind < 5) {
                String v = "op-" + pushes++;
                pushed.add(v);
                delta = state.insert(s.pick() % size, s.amount() < 0, NetworkStep.bytes(v), hlc, node);
            } else if (kind < 6) {
                delta = state.set(s.pick() % size, s.memberBytes(), hlc, node);
            } else if (kind < 8) {
                int from = s.pick() % size;
                int to = Math.min(size, from + 1 + Math.abs(s.amount()) % 3);
                delta = state.removeRange(from, to, hlc, node);
                removes = true;
            } else if (kind < 9) {
                int[] idx = size >= 2 ? new int[] {0, size - 1} : new int[] {0};
                delta = state.removeAt(idx, idx.length, hlc, node);
                removes = true;
            } else {
                CausalContext observed = state.context().copy();
                state.removeObserved(observed);
                ListValue removal = new ListValue();
                removal.removeObserved(observed);
                delta = removal;
                removes = true;
            }
            int op = net.record(r, before, delta);
            for (String v : pushed) {
                pushOps.put(v, op);
            }
            if (removes && op >= 0) {
                removeOps.set(op);
            }
        }
        return net;
    }

    static ReplicaNetwork<ListValue> play(int replicas, List<NetworkStep> steps) {
        return play(replicas, steps, new HashMap<>(), new BitSet());
    }

    @Property(tries = 300)
    void replicasConvergeOnceEverythingIsDelivered(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                                   @ForAll("scenario") List<NetworkStep> steps) {
        ReplicaNetwork<ListValue> net = play(replicas, steps);
        net.deliverAll();
        ListValue first = net.state(0);
        assertThat(first.isDelta()).isFalse();
        for (int r = 1; r < replicas; r++) {
            assertThat(net.state(r)).isEqualTo(first);
            assertThat(elements(net.state(r))).isEqualTo(elements(first));
            assertThat(encode(net.state(r))).isEqualTo(encode(first));
        }
        assertThat(net.joinOfAllDeltas()).isEqualTo(first);
    }

    /** Without removes, every pushed element survives, once, whatever the delivery order. */
    @Property(tries = 300)
    void withoutRemovesEveryPushSurvivesOnce(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                             @ForAll("scenario") List<NetworkStep> steps) {
        Map<String, Integer> pushOps = new HashMap<>();
        BitSet removeOps = new BitSet();
        ReplicaNetwork<ListValue> net = play(replicas, steps, pushOps, removeOps);
        net.deliverAll();
        if (!removeOps.isEmpty()) {
            return;
        }
        List<String> values = elements(net.state(0));
        // LSET may have overwritten some values; count only the pushed names still present.
        long distinct = values.stream().filter(v -> v.startsWith("op-")).distinct().count();
        assertThat(distinct).isEqualTo(values.stream().filter(v -> v.startsWith("op-")).count());
        assertThat(net.state(0).size()).isEqualTo(pushOps.size());
    }

    @Property(tries = 300)
    void joinOfDeltasEqualsJoinOfStates(@ForAll @IntRange(min = 3, max = 5) int replicas,
                                        @ForAll("scenario") List<NetworkStep> steps) {
        ReplicaNetwork<ListValue> net = play(replicas, steps);
        ListValue states = new ListValue();
        for (int r = 0; r < replicas; r++) {
            states.merge(net.state(r));
        }
        List<ListValue> deltas = new ArrayList<>(net.allDeltas());
        java.util.Collections.reverse(deltas);
        ListValue group = null;
        for (ListValue d : deltas) {
            if (group == null) {
                group = d.copy();
            } else {
                group.merge(d);
            }
        }
        ListValue reversed = new ListValue();
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
        List<ListValue> values = valuesOf(play(replicas, steps));
        ListValue a = values.get(i % values.size());
        ListValue b = values.get(j % values.size());
        ListValue c = values.get(k % values.size());
        assertThat(join(a, b)).isEqualTo(join(b, a));
        assertThat(join(join(a, b), c)).isEqualTo(join(a, join(b, c)));
        assertThat(join(a, a)).isEqualTo(a);
        assertThat(join(join(a, b), b)).isEqualTo(join(a, b));
    }

    @Property(tries = 200)
    void codecRoundTrips(@ForAll @IntRange(min = 3, max = 5) int replicas,
                         @ForAll("scenario") List<NetworkStep> steps) {
        for (ListValue v : valuesOf(play(replicas, steps))) {
            byte[] bytes = encode(v);
            CrdtReader r = new CrdtReader(bytes);
            ListValue back = ListValue.decode(r);
            r.expectEnd();
            assertThat(back).isEqualTo(v);
            assertThat(encode(back)).isEqualTo(bytes);
            assertThat(elements(back)).containsExactlyElementsOf(elements(v));
        }
    }

    @Property(tries = 500)
    void decodingArbitraryBytesOnlyThrowsTheCodecException(@ForAll @Size(max = 64) byte[] bytes) {
        decodeHostile(bytes, new ListValue());
    }

    @Property(tries = 300)
    void decodingTruncatedOrMutatedBytesOnlyThrowsTheCodecException(
            @ForAll("scenario") List<NetworkStep> steps, @ForAll @IntRange(max = 10_000) int position,
            @ForAll byte replacement, @ForAll boolean truncate) {
        ReplicaNetwork<ListValue> net = play(3, steps);
        ListValue valid = net.state(0);
        byte[] bytes = encode(valid);
        int at = position % bytes.length;
        byte[] hostile = truncate ? Arrays.copyOf(bytes, at) : bytes.clone();
        if (!truncate) {
            hostile[at] = replacement;
        }
        decodeHostile(hostile, net.state(1));
    }

    /** One replica is a plain list: the index structure agrees with an ArrayList model. */
    @Property(tries = 500)
    void oneReplicaBehavesLikeAPlainList(@ForAll("plainOps") List<int[]> ops) {
        ListValue list = new ListValue();
        List<String> model = new ArrayList<>();
        long hlc = 1;
        int next = 0;
        for (int[] op : ops) {
            int size = model.size();
            int kind = op[0];
            if (kind < 3 || size == 0) {
                int n = 1 + op[1] % 4;
                byte[][] values = new byte[n][];
                for (int i = 0; i < n; i++) {
                    values[i] = NetworkStep.bytes("v" + next++);
                }
                boolean left = op[1] % 2 == 0;
                list.push(left, values, 0, n, hlc++, 1 + op[1] % 3);
                for (byte[] v : values) {
                    if (left) {
                        model.add(0, new String(v));
                    } else {
                        model.add(new String(v));
                    }
                }
            } else if (kind < 5) {
                int pivot = op[1] % size;
                boolean before = op[2] % 2 == 0;
                String v = "v" + next++;
                list.insert(pivot, before, NetworkStep.bytes(v), hlc++, 1 + op[2] % 3);
                model.add(before ? pivot : pivot + 1, v);
            } else if (kind < 6) {
                int index = op[1] % size;
                String v = "s" + next++;
                list.set(index, NetworkStep.bytes(v), hlc++, 1);
                model.set(index, v);
            } else if (kind < 8) {
                int from = op[1] % size;
                int to = Math.min(size, from + op[2] % 5);
                list.removeRange(from, to, hlc++, 1);
                model.subList(from, to).clear();
            } else {
                int[] idx = java.util.stream.IntStream.range(0, size).filter(i -> i % (2 + op[2] % 3) == 0).toArray();
                list.removeAt(idx, idx.length, hlc++, 1);
                for (int i = idx.length - 1; i >= 0; i--) {
                    model.remove(idx[i]);
                }
            }
            assertThat(list.size()).isEqualTo(model.size());
        }
        List<String> got = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            got.add(new String(list.get(i)));
        }
        assertThat(got).isEqualTo(model);
        List<String> reversed = new ArrayList<>();
        list.forEachReverse(0, list.size(), (i, v) -> {
            reversed.add(0, new String(v));
            return true;
        });
        assertThat(reversed).isEqualTo(model);
        ListValue decoded = ListValue.decode(new CrdtReader(encode(list)));
        assertThat(elements(decoded)).containsExactlyElementsOf(elements(list));
    }

    @Provide
    Arbitrary<List<int[]>> plainOps() {
        return Arbitraries.integers().between(0, 9).flatMap(kind -> Arbitraries.integers().between(0, 999)
                .flatMap(a -> Arbitraries.integers().between(0, 999).map(b -> new int[] {kind, a, b})))
                .list().ofMaxSize(200);
    }

    // ------------------------------------------------------------------ helpers

    static void decodeHostile(byte[] bytes, ListValue valid) {
        ListValue decoded;
        try {
            decoded = ListValue.decode(new CrdtReader(bytes));
        } catch (CrdtCodecException expected) {
            return;
        }
        assertThatCode(() -> {
            encode(decoded);
            ListValue target = valid.copy();
            target.merge(decoded);
            decoded.copy().merge(valid);
            target.size();
        }).doesNotThrowAnyException();
    }

    static List<ListValue> valuesOf(ReplicaNetwork<ListValue> net) {
        List<ListValue> values = new ArrayList<>();
        for (int r = 0; r < net.replicas(); r++) {
            values.add(net.state(r));
        }
        values.addAll(net.allDeltas());
        return values;
    }

    static ListValue join(ListValue a, ListValue b) {
        ListValue j = a.copy();
        j.merge(b);
        return j;
    }

    static byte[] encode(ListValue v) {
        CrdtWriter w = new CrdtWriter();
        v.encode(w);
        return w.toByteArray();
    }

    static List<String> elements(ListValue v) {
        List<String> out = new ArrayList<>();
        v.forEach(0, v.size(), (i, b) -> out.add(new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)));
        return out;
    }
}
