package io.converge.server.chaos;

import io.converge.server.chaos.History.Kind;
import io.converge.server.chaos.History.Op;
import io.converge.server.chaos.History.Outcome;
import io.converge.server.testing.ProcessCluster;
import io.converge.server.testing.RespClient;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Waits for a healed cluster to converge and checks every node's data against the
 * {@link History}: acknowledged SETs present with their value, acknowledged DELs still deleted,
 * acknowledged SADD members present, acknowledged RPUSH elements present exactly once, counters
 * between the acknowledged and the attempted sums, identical per-key and whole-data digests.
 * Reads are at {@code ONE} on each node (lists through {@code CONVERGE LOCAL}, as list commands
 * run on the key's primary).
 */
final class Checker {

    private static final int PIPELINE = 500;
    private static final int EXAMPLES = 10;
    private static final int DIGEST_ATTEMPTS = 4;

    private final ProcessCluster cluster;
    private final int nodes;

    /** A checker over {@code cluster}. */
    Checker(ProcessCluster cluster) {
        this.cluster = cluster;
        this.nodes = cluster.spec().nodes().size();
    }

    /**
     * Waits up to {@code timeout} until every node reports the same {@code CONVERGE DIGEST},
     * {@code peers_needing_full_sync:0} and {@code pending_deltas:0}; the time it took in ms, or
     * -1 if that did not happen in time.
     */
    long awaitConvergence(Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (converged()) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            Thread.sleep(250);
        }
        return -1;
    }

    /** The convergence condition, one line per node, for a report. */
    List<String> convergenceState() {
        List<String> lines = new ArrayList<>();
        for (int id = 1; id <= nodes; id++) {
            try {
                lines.add("node " + id + ": digest=" + cluster.call(id, "CONVERGE", "DIGEST") + " peers_needing_full_sync="
                        + cluster.info(id, "replication", "peers_needing_full_sync") + " pending_deltas="
                        + cluster.info(id, "replication", "pending_deltas") + " "
                        + cluster.infoLines(id, "replication", "peer"));
            } catch (RuntimeException e) {
                lines.add("node " + id + ": " + e);
            }
        }
        return lines;
    }

    private boolean converged() {
        try {
            Object first = null;
            for (int id = 1; id <= nodes; id++) {
                if (!cluster.info(id, "replication", "peers_needing_full_sync").equals("0")
                        || !cluster.info(id, "replication", "pending_deltas").equals("0")) {
                    return false;
                }
                Object digest = cluster.call(id, "CONVERGE", "DIGEST");
                if (first == null) {
                    first = digest;
                } else if (!first.equals(digest)) {
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Reads every node and checks it against {@code ops}. */
    Result check(List<Op> ops) {
        Expectations e = Expectations.of(ops);
        List<String> stringKeys = new ArrayList<>(e.strings.keySet());
        List<String> touched = new ArrayList<>(stringKeys);
        for (int i = 0; i < Workload.COUNTERS; i++) {
            touched.add(Workload.counter(i));
        }
        for (int i = 0; i < Workload.SETS; i++) {
            touched.add(Workload.set(i));
        }
        List<String> listKeys = new ArrayList<>();
        for (int i = 0; i < Workload.LISTS; i++) {
            listKeys.add(Workload.list(i));
        }
        touched.addAll(listKeys);
        List<List<Object>> elements = new ArrayList<>();
        List<List<Object>> values = new ArrayList<>();
        List<List<Object>> counters = new ArrayList<>();
        List<List<Object>> members = new ArrayList<>();
        List<List<Object>> digests = new ArrayList<>();
        List<Object> whole = new ArrayList<>();
        for (int id = 1; id <= nodes; id++) {
            try (RespClient c = new RespClient("127.0.0.1", cluster.port(id))) {
                Object level = c.call("CONSISTENCY", "READ", "ONE");
                if (!new RespClient.Simple("OK").equals(level)) {
                    throw new IllegalStateException("node " + id + " refused CONSISTENCY READ ONE: " + level);
                }
                values.add(pipeline(c, stringKeys, k -> new String[] {"GET", k}));
                List<String> counterKeys = new ArrayList<>();
                for (int i = 0; i < Workload.COUNTERS; i++) {
                    counterKeys.add(Workload.counter(i));
                }
                counters.add(pipeline(c, counterKeys, k -> new String[] {"GET", k}));
                List<String> setKeys = new ArrayList<>();
                for (int i = 0; i < Workload.SETS; i++) {
                    setKeys.add(Workload.set(i));
                }
                members.add(pipeline(c, setKeys, k -> new String[] {"SMEMBERS", k}));
                // List commands run on the key's primary: read this node's own copy.
                elements.add(pipeline(c, listKeys, k -> new String[] {"CONVERGE", "LOCAL", "LRANGE", k, "0", "-1"}));
            }
        }
        // Tombstone GC sweeps each node on its own schedule, so digests of deleted keys can differ
        // for a moment after convergence (one node already dropped a delete record another still
        // holds): a difference counts only if it is still there after waiting for convergence again.
        int attempts = 0;
        while (true) {
            attempts++;
            digests.clear();
            whole.clear();
            for (int id = 1; id <= nodes; id++) {
                try (RespClient c = new RespClient("127.0.0.1", cluster.port(id))) {
                    digests.add(pipeline(c, touched, k -> new String[] {"CONVERGE", "DIGEST", k}));
                    whole.add(c.call("CONVERGE", "DIGEST"));
                }
            }
            if (attempts == DIGEST_ATTEMPTS || (new HashSet<>(whole).size() == 1 && sameDigests(digests))) {
                break;
            }
            try {
                Thread.sleep(2000);
                awaitConvergence(Duration.ofSeconds(20));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }

        Result r = new Result();
        r.digestAttempts = attempts;
        r.ops = ops.size();
        for (Op op : ops) {
            switch (op.outcome()) {
                case OK -> r.acked++;
                case FAILED -> r.failed++;
                case UNKNOWN -> r.unknown++;
            }
            if (op.kind() == Kind.DEL && op.outcome() == Outcome.OK && op.amount() == 0) {
                r.deletesThatFoundNothing++;
            }
        }
        r.counts = History.counts(ops);

        // Strings: SET of unique keys, DEL after an acknowledged SET.
        for (int k = 0; k < stringKeys.size(); k++) {
            String key = stringKeys.get(k);
            StringExpectation x = e.strings.get(key);
            List<String> seen = new ArrayList<>();
            for (int n = 0; n < nodes; n++) {
                Object v = values.get(n).get(k);
                seen.add(v instanceof RespClient.Bulk b ? b.text() : null);
            }
            boolean lost = false;
            boolean resurrected = false;
            boolean wrong = false;
            for (String v : seen) {
                if (v != null && !v.equals(x.value)) {
                    wrong = true;
                }
                if (x.mustBePresent() && v == null) {
                    lost = true;
                }
                if (x.mustBeAbsent() && v != null) {
                    resurrected = true;
                }
            }
            if (lost || wrong) {
                r.lostWrites++;
                r.example(r.lostExamples, key + (wrong ? " (wrong value)" : "") + ": per node " + seen + "; " + x.describe());
            }
            if (resurrected) {
                r.resurrectedDeletes++;
                r.example(r.resurrectedExamples, key + ": per node " + seen + "; " + x.describe());
            }
        }

        // Sets: acknowledged members present everywhere, nothing never attempted.
        for (int s = 0; s < Workload.SETS; s++) {
            String key = Workload.set(s);
            Set<String> acked = e.ackedMembers.getOrDefault(key, Set.of());
            Set<String> attempted = e.attemptedMembers.getOrDefault(key, Set.of());
            Map<String, List<Integer>> missing = new TreeMap<>();
            for (int n = 0; n < nodes; n++) {
                Set<String> held = new HashSet<>();
                if (members.get(n).get(s) instanceof List<?> list) {
                    for (Object o : list) {
                        held.add(((RespClient.Bulk) o).text());
                    }
                }
                for (String m : acked) {
                    if (!held.contains(m)) {
                        missing.computeIfAbsent(m, x -> new ArrayList<>()).add(n + 1);
                    }
                }
                for (String m : held) {
                    if (!attempted.contains(m)) {
                        r.unexpected++;
                        r.example(r.unexpectedExamples, key + " on node " + (n + 1) + " holds " + m + ", never written");
                    }
                }
            }
            r.lostWrites += missing.size();
            r.lostMembers += missing.size();
            for (Map.Entry<String, List<Integer>> m : missing.entrySet()) {
                Op op = e.memberOp.get(key + "/" + m.getKey());
                r.example(r.lostExamples, String.format(java.util.Locale.ROOT,
                        "%s member %s (SADD via node %d acknowledged at %.1f s) missing on nodes %s", key, m.getKey(),
                        op.node(), op.endMs() / 1000.0, m.getValue()));
            }
        }

        // Lists: acknowledged elements present exactly once everywhere, nothing never attempted.
        for (int l = 0; l < Workload.LISTS; l++) {
            String key = Workload.list(l);
            Set<String> acked = e.ackedMembers.getOrDefault(key, Set.of());
            Set<String> attempted = e.attemptedMembers.getOrDefault(key, Set.of());
            Map<String, List<Integer>> missing = new TreeMap<>();
            for (int n = 0; n < nodes; n++) {
                Map<String, Integer> held = new HashMap<>();
                if (elements.get(n).get(l) instanceof List<?> list) {
                    for (Object o : list) {
                        held.merge(((RespClient.Bulk) o).text(), 1, Integer::sum);
                    }
                }
                for (String m : acked) {
                    if (!held.containsKey(m)) {
                        missing.computeIfAbsent(m, x -> new ArrayList<>()).add(n + 1);
                    }
                }
                for (Map.Entry<String, Integer> h : held.entrySet()) {
                    if (!attempted.contains(h.getKey()) || h.getValue() > 1) {
                        r.unexpected++;
                        r.example(r.unexpectedExamples, key + " on node " + (n + 1) + " holds " + h.getKey() + " "
                                + h.getValue() + " time(s), pushed " + (attempted.contains(h.getKey()) ? "once" : "never"));
                    }
                }
            }
            r.lostWrites += missing.size();
            r.lostMembers += missing.size();
            for (Map.Entry<String, List<Integer>> m : missing.entrySet()) {
                Op op = e.memberOp.get(key + "/" + m.getKey());
                r.example(r.lostExamples, String.format(java.util.Locale.ROOT,
                        "%s element %s (RPUSH via node %d acknowledged at %.1f s) missing on nodes %s", key, m.getKey(),
                        op.node(), op.endMs() / 1000.0, m.getValue()));
            }
        }

        // Counters: acknowledged sum <= value <= attempted sum, on every node.
        for (int i = 0; i < Workload.COUNTERS; i++) {
            String key = Workload.counter(i);
            long lo = e.ackedSum.getOrDefault(key, 0L);
            long hi = e.attemptedSum.getOrDefault(key, 0L);
            List<Long> seen = new ArrayList<>();
            boolean bad = false;
            for (int n = 0; n < nodes; n++) {
                Object v = counters.get(n).get(i);
                long value = v instanceof RespClient.Bulk b ? Long.parseLong(b.text()) : 0;
                seen.add(value);
                bad |= value < lo || value > hi;
            }
            r.counterLines.add(key + ": acknowledged " + lo + ", attempted " + hi + ", per node " + seen);
            if (bad) {
                r.wrongCounters++;
                r.example(r.counterExamples, key + ": per node " + seen + ", must be within [" + lo + ", " + hi
                        + "] (acknowledged, attempted)");
            }
        }

        // Digests: every touched key, and everything.
        for (int k = 0; k < touched.size(); k++) {
            List<Object> per = new ArrayList<>();
            for (int n = 0; n < nodes; n++) {
                per.add(digests.get(n).get(k));
            }
            if (new HashSet<>(per).size() > 1) {
                r.divergedKeys++;
                r.example(r.divergedExamples, touched.get(k) + ": digests per node " + per);
            }
        }
        r.wholeDigests = whole;
        r.wholeDigestsEqual = new HashSet<>(whole).size() == 1;
        return r;
    }

    private static boolean sameDigests(List<List<Object>> perNode) {
        for (int n = 1; n < perNode.size(); n++) {
            if (!perNode.get(n).equals(perNode.get(0))) {
                return false;
            }
        }
        return true;
    }

    private static List<Object> pipeline(RespClient c, List<String> keys, java.util.function.Function<String, String[]> cmd) {
        List<Object> replies = new ArrayList<>(keys.size());
        for (int from = 0; from < keys.size(); from += PIPELINE) {
            int to = Math.min(keys.size(), from + PIPELINE);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int i = from; i < to; i++) {
                b.writeBytes(RespClient.encode(cmd.apply(keys.get(i))));
            }
            c.send(b.toByteArray());
            replies.addAll(c.read(to - from));
        }
        return replies;
    }

    /** What the history says of one SET key. */
    static final class StringExpectation {
        String value;
        final List<Op> ops = new ArrayList<>();

        /** The SET was acknowledged and no DEL that may have removed it was sent. */
        boolean mustBePresent() {
            return setAcked() && ops.stream().noneMatch(o -> o.kind() == Kind.DEL && mayHaveDeleted(o));
        }

        /** The SET and a DEL that removed it (reply 1) were both acknowledged. */
        boolean mustBeAbsent() {
            return setAcked() && ops.stream().anyMatch(o -> o.kind() == Kind.DEL && o.outcome() == Outcome.OK
                    && o.amount() > 0);
        }

        private boolean setAcked() {
            return ops.stream().anyMatch(o -> o.kind() == Kind.SET && o.outcome() == Outcome.OK);
        }

        private static boolean mayHaveDeleted(Op o) {
            return o.outcome() != Outcome.OK || o.amount() > 0;
        }

        /** The key's operations, for a report. */
        String describe() {
            StringBuilder b = new StringBuilder("history:");
            for (Op o : ops) {
                b.append(' ').append(o.kind()).append(" via node ").append(o.node()).append(" at ")
                        .append(String.format(java.util.Locale.ROOT, "%.1f-%.1fs", o.startMs() / 1000.0, o.endMs() / 1000.0))
                        .append(' ').append(o.outcome());
                if (o.kind() == Kind.DEL && o.outcome() == Outcome.OK) {
                    b.append(" (reply ").append(o.amount()).append(')');
                }
                if (!o.detail().isEmpty()) {
                    b.append(" (").append(o.detail().length() > 120 ? o.detail().substring(0, 120) + "..." : o.detail())
                            .append(')');
                }
                b.append(';');
            }
            return b.toString();
        }
    }

    /** Expected state derived from the history. */
    static final class Expectations {
        final Map<String, StringExpectation> strings = new LinkedHashMap<>();
        final Map<String, Set<String>> ackedMembers = new HashMap<>();
        final Map<String, Set<String>> attemptedMembers = new HashMap<>();
        final Map<String, Op> memberOp = new HashMap<>();
        final Map<String, Long> ackedSum = new HashMap<>();
        final Map<String, Long> attemptedSum = new HashMap<>();

        /** Builds the expectations from {@code ops}. */
        static Expectations of(List<Op> ops) {
            Expectations e = new Expectations();
            List<Op> sorted = new ArrayList<>(ops);
            sorted.sort((a, b) -> Long.compare(a.startMs(), b.startMs()));
            for (Op op : sorted) {
                switch (op.kind()) {
                    case SET -> {
                        StringExpectation x = e.strings.computeIfAbsent(op.key(), k -> new StringExpectation());
                        x.value = op.arg();
                        x.ops.add(op);
                    }
                    case DEL -> e.strings.computeIfAbsent(op.key(), k -> new StringExpectation()).ops.add(op);
                    case SADD, RPUSH -> {
                        e.attemptedMembers.computeIfAbsent(op.key(), k -> new HashSet<>()).add(op.arg());
                        e.memberOp.put(op.key() + "/" + op.arg(), op);
                        if (op.outcome() == Outcome.OK) {
                            e.ackedMembers.computeIfAbsent(op.key(), k -> new TreeSet<>()).add(op.arg());
                        }
                    }
                    case INCRBY -> {
                        e.attemptedSum.merge(op.key(), op.amount(), Long::sum);
                        if (op.outcome() == Outcome.OK) {
                            e.ackedSum.merge(op.key(), op.amount(), Long::sum);
                        }
                    }
                }
            }
            return e;
        }
    }

    /** The figures and examples of one check. */
    static final class Result {
        int ops;
        int acked;
        int failed;
        int unknown;
        int deletesThatFoundNothing;
        int lostWrites;
        int lostMembers;
        int resurrectedDeletes;
        int wrongCounters;
        int divergedKeys;
        int unexpected;
        int digestAttempts;
        boolean wholeDigestsEqual;
        List<Object> wholeDigests = List.of();
        Map<Kind, Map<Outcome, Integer>> counts = Map.of();
        final List<String> counterLines = new ArrayList<>();
        final List<String> lostExamples = new ArrayList<>();
        final List<String> resurrectedExamples = new ArrayList<>();
        final List<String> counterExamples = new ArrayList<>();
        final List<String> divergedExamples = new ArrayList<>();
        final List<String> unexpectedExamples = new ArrayList<>();

        /** Whether nothing was lost, resurrected, miscounted, invented or diverged. */
        boolean ok() {
            return lostWrites == 0 && resurrectedDeletes == 0 && wrongCounters == 0 && divergedKeys == 0 && unexpected == 0
                    && wholeDigestsEqual;
        }

        private void example(List<String> list, String line) {
            if (list.size() < EXAMPLES) {
                list.add(line);
            }
        }
    }
}
