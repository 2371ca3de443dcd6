package io.converge.crdt;

import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * One step of a generated replication scenario: either a local operation at a replica (the
 * property decides which, from {@link #roll}) or a network event (deliver, duplicate, lose,
 * transfer a full state, join two messages into a delta group).
 *
 * @param roll chooses the kind of step (0..99; below {@link #LOCAL_OPS} means a local operation)
 * @param replica the acting replica (taken modulo the replica count)
 * @param member index into {@link #MEMBERS}
 * @param amount a small integer for scores and increments
 * @param peer the other replica of a state transfer
 * @param pick chooses a message in flight
 */
record NetworkStep(int roll, int replica, int member, int amount, int peer, int pick) {

    /** Rolls below this are local operations. */
    static final int LOCAL_OPS = 50;

    /** The member pool: includes the empty member and bytes that sort differently signed. */
    static final List<byte[]> MEMBERS = List.of(
            new byte[0], bytes("a"), bytes("ab"), bytes("b"), new byte[] {(byte) 0xFF},
            new byte[] {0x00}, bytes("m6"), bytes("zz"));

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Scenarios of up to {@code maxSteps} steps. */
    static Arbitrary<List<NetworkStep>> scenarios(int maxSteps) {
        Arbitrary<NetworkStep> step = Combinators.combine(
                Arbitraries.integers().between(0, 99),
                Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(0, MEMBERS.size() - 1),
                Arbitraries.integers().between(-5, 5),
                Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(0, 1000)).as(NetworkStep::new);
        return step.list().ofMinSize(1).ofMaxSize(maxSteps);
    }

    byte[] memberBytes() {
        return MEMBERS.get(member);
    }

    boolean isLocal() {
        return roll < LOCAL_OPS;
    }

    int replica(ReplicaNetwork<?> net) {
        return replica % net.replicas();
    }

    /** Performs this step if it is a network event. */
    void applyNetworkEvent(ReplicaNetwork<?> net) {
        if (roll < 65) {
            net.deliver(pick, false);
        } else if (roll < 70) {
            net.deliver(pick, true);
        } else if (roll < 78) {
            net.lose(pick);
        } else if (roll < 86) {
            net.sendState(replica(net), peer % net.replicas());
        } else {
            net.join(pick);
        }
    }
}
