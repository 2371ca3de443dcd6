package io.converge.bench.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks after the fact that a partition round really converged: reads every key of the round
 * from every node (MGET in chunks, at consistency ONE so each node answers from its own data)
 * and compares. Keys written on one side must hold that side's value everywhere; conflict keys
 * the same one of the two values on every node; counters the exact sum of both sides' increments.
 */
public final class ConvergenceVerifier {
    private static final int CHUNK = 1_000;
    private static final int MAX_EXAMPLES = 5;

    /**
     * What the check found.
     *
     * @param keys                   keys checked (on every node)
     * @param nodes                  nodes read
     * @param mismatches             keys that were not as expected on some node
     * @param examples               the first few mismatches, described
     * @param conflictsWonByMajority conflict keys whose merged value is the majority side's (side 0)
     * @param conflictsWonByIsolated conflict keys whose merged value is the isolated node's (side 1)
     * @param error                  why the check could not run, or null
     */
    public record Verification(int keys, int nodes, int mismatches, List<String> examples, int conflictsWonByMajority,
                               int conflictsWonByIsolated, String error) {
        /** Whether every key was as expected on every node. */
        public boolean ok() {
            return error == null && mismatches == 0;
        }

        /** One line for the report. */
        public String summary() {
            if (error != null) {
                return "not verified: " + error;
            }
            if (mismatches > 0) {
                return String.format(java.util.Locale.ROOT, "**%,d of %,d keys differ**: %s", mismatches, keys,
                        String.join("; ", examples));
            }
            return String.format(java.util.Locale.ROOT, "ok: %,d keys equal on %d nodes, counters exact, "
                    + "conflicts won %,d by majority / %,d by isolated", keys, nodes, conflictsWonByMajority,
                    conflictsWonByIsolated);
        }
    }

    private ConvergenceVerifier() {}

    /** Reads every key of {@code workload} from each node at {@code ports} and compares. */
    public static Verification verify(DivergentWorkload workload, List<Integer> ports, Duration timeout) {
        List<RespConnection> nodes = new ArrayList<>();
        try {
            for (int port : ports) {
                RespConnection c = RespConnection.open("127.0.0.1", port, timeout);
                nodes.add(c);
                Object ok = c.call("CONSISTENCY", "READ", "ONE");
                if (!"OK".equals(ok)) {
                    return failed(workload, ports, "CONSISTENCY READ ONE answered " + ok);
                }
            }
            int mismatches = 0;
            List<String> examples = new ArrayList<>();
            int[] conflictsWon = new int[2];
            for (DivergentWorkload.Kind kind : DivergentWorkload.Kind.values()) {
                int count = workload.count(kind);
                for (int from = 0; from < count; from += CHUNK) {
                    int to = Math.min(count, from + CHUNK);
                    List<List<Object>> values = new ArrayList<>(nodes.size());
                    for (RespConnection node : nodes) {
                        values.add(mget(node, workload, kind, from, to));
                    }
                    for (int i = from; i < to; i++) {
                        String problem = check(workload, kind, i, values, i - from, conflictsWon);
                        if (problem != null) {
                            if (mismatches++ < MAX_EXAMPLES) {
                                examples.add(problem);
                            }
                        }
                    }
                }
            }
            return new Verification(workload.keys(), ports.size(), mismatches, List.copyOf(examples), conflictsWon[0],
                    conflictsWon[1], null);
        } catch (IOException e) {
            return failed(workload, ports, e.toString());
        } finally {
            for (RespConnection c : nodes) {
                try {
                    c.close();
                } catch (IOException e) {
                    // closing a socket we only read from: nothing to do
                }
            }
        }
    }

    private static Verification failed(DivergentWorkload workload, List<Integer> ports, String why) {
        return new Verification(workload.keys(), ports.size(), 0, List.of(), 0, 0, why);
    }

    private static List<Object> mget(RespConnection node, DivergentWorkload workload, DivergentWorkload.Kind kind,
                                     int from, int to) throws IOException {
        byte[][] args = new byte[1 + to - from][];
        args[0] = "MGET".getBytes(StandardCharsets.US_ASCII);
        for (int i = from; i < to; i++) {
            args[1 + i - from] = workload.key(kind, i).getBytes(StandardCharsets.US_ASCII);
        }
        node.writeCommand(args);
        node.flush();
        Object reply = node.readReply();
        if (!(reply instanceof List<?> list) || list.size() != to - from) {
            throw new IOException("MGET of " + (to - from) + " keys answered " + reply);
        }
        @SuppressWarnings("unchecked")
        List<Object> values = (List<Object>) list;
        return values;
    }

    /** Null when key {@code i} of {@code kind} is right on every node, else what is wrong. */
    private static String check(DivergentWorkload workload, DivergentWorkload.Kind kind, int i,
                                List<List<Object>> values, int offset, int[] conflictsWon) {
        String key = workload.key(kind, i);
        Object first = values.get(0).get(offset);
        for (int n = 1; n < values.size(); n++) {
            Object other = values.get(n).get(offset);
            if (first == null ? other != null : !first.equals(other)) {
                return key + " is " + first + " on node 1 but " + other + " on node " + (n + 1);
            }
        }
        String expected = switch (kind) {
            case ONLY_SIDE_0, ONLY_SIDE_1 -> workload.oneSidedValue(kind, i);
            case COUNTER -> Long.toString(workload.counterSum(i));
            case CONFLICT -> {
                for (int side = 0; side < 2; side++) {
                    if (workload.conflictValue(side, i).equals(first)) {
                        conflictsWon[side]++;
                        yield (String) first;
                    }
                }
                yield workload.conflictValue(0, i) + " or " + workload.conflictValue(1, i);
            }
        };
        return expected.equals(first) ? null : key + " is " + first + " on every node, expected " + expected;
    }
}
