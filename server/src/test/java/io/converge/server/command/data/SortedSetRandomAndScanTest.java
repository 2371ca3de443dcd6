package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.RespDouble;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ZRANDMEMBER and ZSCAN on large sets, whose replies Redis makes random or encoding-dependent:
 * the same properties are asserted against redis-server and against Converge (membership,
 * distinctness, reply shapes, scores, and for ZSCAN the SCAN guarantee that a full iteration
 * returns every member present throughout, even while the set changes).
 */
class SortedSetRandomAndScanTest extends DifferentialTestBase {

    /** Target names with protocols (names, not the fixtures: JUnit closes AutoCloseable arguments). */
    static Stream<Arguments> targetsAndProtocols() {
        return Stream.of(Arguments.of("redis", 2), Arguments.of("redis", 3), Arguments.of("converge", 2),
                Arguments.of("converge", 3));
    }

    private ServerTarget target(String name) {
        return name.equals("redis") ? redis : converge;
    }

    private RespClient open(String name, int protocol) {
        RespClient c = new RespClient(target(name));
        if (protocol == 3) {
            c.call("HELLO", "3");
        }
        return c;
    }

    /** Fills {@code key} with {@code n} members m0..m(n-1) with score i / 4. */
    private static Map<String, String> fill(RespClient c, String key, int n) {
        c.call("DEL", key);
        Map<String, String> scores = new HashMap<>();
        List<String> cmd = new ArrayList<>(List.of("ZADD", key));
        for (int i = 0; i < n; i++) {
            String score = Double.toString(i / 4.0);
            cmd.add(score);
            cmd.add("m" + i);
            scores.put("m" + i, score);
        }
        c.call(cmd.toArray(new String[0]));
        // Normalise to the server's own formatting of each score.
        for (String m : scores.keySet()) {
            scores.put(m, text(c.call("ZSCORE", key, m)));
        }
        return scores;
    }

    private static String text(Object reply) {
        if (reply instanceof Bulk b) {
            return b.text();
        }
        if (reply instanceof RespDouble d) {
            return d.text();
        }
        throw new AssertionError("not a string or double: " + reply);
    }

    /** The members (and scores, if {@code withScores}) of a ZRANDMEMBER-with-count reply, checking its shape. */
    private static List<String[]> pairs(Object reply, boolean withScores, int protocol) {
        assertThat(reply).isInstanceOf(List.class);
        List<?> items = (List<?>) reply;
        List<String[]> out = new ArrayList<>();
        if (!withScores) {
            for (Object o : items) {
                out.add(new String[] {text(o), null});
            }
        } else if (protocol == 3) {
            for (Object o : items) {
                assertThat(o).isInstanceOf(List.class);
                List<?> pair = (List<?>) o;
                assertThat(pair).hasSize(2);
                assertThat(pair.get(1)).isInstanceOf(RespDouble.class);
                out.add(new String[] {text(pair.get(0)), text(pair.get(1))});
            }
        } else {
            assertThat(items.size() % 2).isZero();
            for (int i = 0; i < items.size(); i += 2) {
                assertThat(items.get(i + 1)).isInstanceOf(Bulk.class);
                out.add(new String[] {text(items.get(i)), text(items.get(i + 1))});
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} RESP{1}")
    @MethodSource("targetsAndProtocols")
    void zrandmemberPicksMembersOfTheSet(String target, int protocol) {
        try (RespClient c = open(target, protocol)) {
            for (int size : new int[] {5, 300}) {
                String key = "rand:" + protocol + ":" + size;
                Map<String, String> scores = fill(c, key, size);
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < 40 * size; i++) {
                    String m = text(c.call("ZRANDMEMBER", key));
                    assertThat(scores).containsKey(m);
                    seen.add(m);
                }
                assertThat(seen).as("every member is picked eventually").hasSize(size);
                for (int count : new int[] {1, 2, size / 3, size - 1, size, size + 7}) {
                    for (boolean withScores : new boolean[] {false, true}) {
                        Object reply = withScores ? c.call("ZRANDMEMBER", key, Integer.toString(count), "WITHSCORES")
                                : c.call("ZRANDMEMBER", key, Integer.toString(count));
                        List<String[]> picked = pairs(reply, withScores, protocol);
                        assertThat(picked).hasSize(Math.min(count, size));
                        Set<String> distinct = new HashSet<>();
                        for (String[] p : picked) {
                            assertThat(scores).containsKey(p[0]);
                            assertThat(distinct.add(p[0])).as("distinct members for a positive count").isTrue();
                            if (withScores) {
                                assertThat(p[1]).isEqualTo(scores.get(p[0]));
                            }
                        }
                    }
                }
                for (int count : new int[] {-1, -3, -(size * 2)}) {
                    List<String[]> picked = pairs(c.call("ZRANDMEMBER", key, Integer.toString(count), "WITHSCORES"),
                            true, protocol);
                    assertThat(picked).hasSize(-count);
                    Set<String> distinct = new HashSet<>();
                    for (String[] p : picked) {
                        assertThat(p[1]).isEqualTo(scores.get(p[0]));
                        distinct.add(p[0]);
                    }
                    if (-count > size) {
                        assertThat(distinct.size()).as("repetitions for a negative count above the size").isLessThan(-count);
                    }
                }
            }
        }
    }

    /** Runs a whole ZSCAN iteration; {@code between} runs after each call. Returns member to score. */
    private static Map<String, String> scanAll(RespClient c, String key, String[] options, Runnable between) {
        Map<String, String> found = new HashMap<>();
        String cursor = "0";
        int calls = 0;
        do {
            List<String> cmd = new ArrayList<>(List.of("ZSCAN", key, cursor));
            cmd.addAll(List.of(options));
            List<?> reply = (List<?>) c.call(cmd.toArray(new String[0]));
            cursor = text(reply.get(0));
            List<?> items = (List<?>) reply.get(1);
            for (int i = 0; i < items.size(); i += 2) {
                found.put(text(items.get(i)), text(items.get(i + 1)));
            }
            between.run();
            calls++;
            assertThat(calls).as("the iteration ends").isLessThan(10_000);
        } while (!cursor.equals("0"));
        return found;
    }

    @ParameterizedTest(name = "{0} RESP{1}")
    @MethodSource("targetsAndProtocols")
    void zscanIteratesLargeSets(String target, int protocol) {
        try (RespClient c = open(target, protocol)) {
            String key = "scan:" + protocol;
            Map<String, String> scores = fill(c, key, 400);
            // A run of 150 members sharing one score, which Converge returns in one batch.
            List<String> same = new ArrayList<>(List.of("ZADD", key));
            for (int i = 0; i < 150; i++) {
                same.add("7");
                same.add("same" + i);
            }
            c.call(same.toArray(new String[0]));
            for (int i = 0; i < 150; i++) {
                scores.put("same" + i, "7");
            }
            assertThat(scanAll(c, key, new String[] {"COUNT", "7"}, () -> { })).isEqualTo(scores);
            assertThat(scanAll(c, key, new String[0], () -> { })).isEqualTo(scores);
            Map<String, String> matching = new HashMap<>();
            scores.forEach((m, s) -> {
                if (m.startsWith("m1")) {
                    matching.put(m, s);
                }
            });
            assertThat(scanAll(c, key, new String[] {"MATCH", "m1*", "COUNT", "20"}, () -> { })).isEqualTo(matching);
        }
    }

    @ParameterizedTest(name = "{0} RESP{1}")
    @MethodSource("targetsAndProtocols")
    void zscanReturnsMembersPresentThroughoutWhileTheSetChanges(String target, int protocol) {
        try (RespClient c = open(target, protocol); RespClient writer = open(target, 2)) {
            String key = "scanchurn:" + protocol;
            Map<String, String> stable = fill(c, key, 300);
            int[] step = {0};
            // Between calls: remove and re-add members with low scores (before any cursor) and
            // add new ones everywhere; the original members m0..m299 are never touched.
            Map<String, String> found = scanAll(c, key, new String[] {"COUNT", "10"}, () -> {
                int s = step[0]++;
                writer.call("ZADD", key, Double.toString(-1 - s), "low" + s, Double.toString(s * 3.3), "mid" + s);
                if (s > 0) {
                    writer.call("ZREM", key, "low" + (s - 1));
                }
            });
            for (Map.Entry<String, String> e : stable.entrySet()) {
                assertThat(found).containsEntry(e.getKey(), e.getValue());
            }
        }
    }
}
