package io.converge.server.chaos;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Everything the chaos workload sent and what came back, Jepsen style: one {@link Op} per command
 * that reached the wire, with its {@link Outcome}. The checker derives what must hold from it.
 */
final class History {

    /** The commands the workload sends. */
    enum Kind { INCRBY, SADD, RPUSH, SET, DEL }

    /**
     * What the client learnt: {@code OK} (a non-error reply: the write is acknowledged at the
     * connection's level), {@code FAILED} (an error reply such as a missed level: the effect may or
     * may not be there), {@code UNKNOWN} (connection dropped or timed out before a reply).
     */
    enum Outcome { OK, FAILED, UNKNOWN }

    /**
     * One operation.
     *
     * @param kind    the command
     * @param node    the node the client was connected to
     * @param key     the key
     * @param arg     the member (SADD) or element (RPUSH), the value (SET), or empty
     * @param amount  the increment (INCRBY), or DEL's integer reply when {@code OK}
     * @param outcome what the client learnt
     * @param detail  the error text or exception, empty when {@code OK}
     * @param startMs when it was sent, in ms since the run started
     * @param endMs   when its outcome was known, in ms since the run started
     */
    record Op(Kind kind, int node, String key, String arg, long amount, Outcome outcome, String detail, long startMs,
              long endMs) {}

    private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();

    /** Records a finished operation. */
    void add(Op op) {
        ops.add(op);
    }

    /** Every operation recorded so far, in completion order. */
    List<Op> ops() {
        return new ArrayList<>(ops);
    }

    /** The number of operations recorded so far. */
    int size() {
        return ops.size();
    }

    /** Counts per kind and outcome, e.g. for the figures. */
    static Map<Kind, Map<Outcome, Integer>> counts(List<Op> ops) {
        Map<Kind, Map<Outcome, Integer>> m = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            Map<Outcome, Integer> o = new EnumMap<>(Outcome.class);
            for (Outcome x : Outcome.values()) {
                o.put(x, 0);
            }
            m.put(k, o);
        }
        for (Op op : ops) {
            m.get(op.kind()).merge(op.outcome(), 1, Integer::sum);
        }
        return m;
    }
}
