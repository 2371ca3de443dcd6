package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.Supplier;

/**
 * A test network of replicas of one CRDT value: local operations broadcast their deltas, and the
 * test decides which message is delivered when (reordering), delivered but kept (duplication),
 * set aside to be retransmitted at the end (loss), joined with another message to the same
 * replica (delta groups), or replaced by a full-state transfer. Each replica runs a Lamport
 * clock standing in for its HLC (starting skewed), so stamps respect causality as HLCs do.
 * Every message records which operations it carries, so models can ask what a replica had seen.
 */
final class ReplicaNetwork<T extends CrdtValue<T>> {

    /** Node ids of the replicas: deliberately not in replica order. */
    static final int[] NODE_IDS = {5, 2, 9, 1, 7};

    /** A message in flight. */
    record Message<T>(int to, T payload, BitSet ops, long clock) {}

    private final List<T> states = new ArrayList<>();
    private final List<BitSet> seen = new ArrayList<>();
    private final long[] clocks;
    private final List<Message<T>> inFlight = new ArrayList<>();
    private final List<Message<T>> lost = new ArrayList<>();
    private final List<T> allDeltas = new ArrayList<>();
    private final Supplier<T> empty;
    private int ops;

    ReplicaNetwork(int replicas, Supplier<T> empty) {
        this.empty = empty;
        clocks = new long[replicas];
        for (int r = 0; r < replicas; r++) {
            states.add(empty.get());
            seen.add(new BitSet());
            clocks[r] = 1000L * ((r * 7) % replicas); // skewed clocks
        }
    }

    int replicas() {
        return states.size();
    }

    T state(int r) {
        return states.get(r);
    }

    int node(int r) {
        return NODE_IDS[r];
    }

    /** Advances replica {@code r}'s clock for a local write and returns the new stamp's HLC. */
    long tick(int r) {
        return ++clocks[r];
    }

    /** Operations replica {@code r} has seen (its own and those delivered to it). */
    BitSet seen(int r) {
        return seen.get(r);
    }

    /** Number of operations recorded so far; ids are {@code 0 .. opCount()-1}. */
    int opCount() {
        return ops;
    }

    /** Every delta recorded so far. */
    List<T> allDeltas() {
        return allDeltas;
    }

    /**
     * Records a local operation already applied at replica {@code r}: checks that the delta
     * alone reproduces it ({@code before ⊔ delta == after}), then broadcasts the delta. Returns
     * the operation id, or -1 for a no-op (null delta).
     */
    int record(int r, T before, T delta) {
        if (delta == null) {
            assertThat(states.get(r)).isEqualTo(before);
            return -1;
        }
        T replay = before.copy();
        replay.merge(delta);
        assertThat(replay).as("applying the delta equals applying the operation").isEqualTo(states.get(r));
        int id = ops++;
        seen.get(r).set(id);
        allDeltas.add(delta.copy());
        BitSet carried = new BitSet();
        carried.set(id);
        for (int to = 0; to < replicas(); to++) {
            if (to != r) {
                inFlight.add(new Message<>(to, delta.copy(), carried, clocks[r]));
            }
        }
        return id;
    }

    /** Queues a full-state transfer from {@code from} to {@code to}. */
    void sendState(int from, int to) {
        if (from != to) {
            inFlight.add(new Message<>(to, states.get(from).copy(), (BitSet) seen.get(from).clone(), clocks[from]));
        }
    }

    /** Delivers message {@code pick mod inFlight}; keeps a copy in flight when {@code duplicate}. */
    void deliver(int pick, boolean duplicate) {
        if (inFlight.isEmpty()) {
            return;
        }
        int i = pick % inFlight.size();
        Message<T> m = duplicate ? inFlight.get(i) : inFlight.remove(i);
        apply(m);
    }

    /** Sets message {@code pick mod inFlight} aside; it is retransmitted by {@link #deliverAll}. */
    void lose(int pick) {
        if (!inFlight.isEmpty()) {
            lost.add(inFlight.remove(pick % inFlight.size()));
        }
    }

    /** Joins message {@code pick} with the next message to the same replica, as a delta group. */
    void join(int pick) {
        if (inFlight.isEmpty()) {
            return;
        }
        int i = pick % inFlight.size();
        Message<T> a = inFlight.get(i);
        for (int j = i + 1; j < inFlight.size(); j++) {
            Message<T> b = inFlight.get(j);
            if (b.to() == a.to()) {
                T group = a.payload().copy();
                group.merge(b.payload());
                BitSet carried = (BitSet) a.ops().clone();
                carried.or(b.ops());
                inFlight.set(i, new Message<>(a.to(), group, carried, Math.max(a.clock(), b.clock())));
                inFlight.remove(j);
                return;
            }
        }
    }

    /** Delivers everything still in flight, then retransmits everything lost. */
    void deliverAll() {
        while (!inFlight.isEmpty()) {
            apply(inFlight.remove(inFlight.size() - 1));
        }
        for (Message<T> m : lost) {
            apply(m);
        }
        lost.clear();
    }

    /** The join of every recorded delta into a fresh state. */
    T joinOfAllDeltas() {
        T all = empty.get();
        for (T d : allDeltas) {
            all.merge(d);
        }
        return all;
    }

    private void apply(Message<T> m) {
        states.get(m.to()).merge(m.payload());
        seen.get(m.to()).or(m.ops());
        clocks[m.to()] = Math.max(clocks[m.to()], m.clock());
    }
}
