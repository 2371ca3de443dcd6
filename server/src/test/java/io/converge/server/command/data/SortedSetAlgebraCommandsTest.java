package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.RespMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ZUNION, ZINTER, ZDIFF, ZDIFFSTORE and ZINTERCARD, raw RESP, against a real redis-server and a
 * Converge node in RESP2 and RESP3: every reply (members and their order, scores, reply types,
 * error texts) must be equal. Each test uses its own keys (suffixed with the protocol).
 */
class SortedSetAlgebraCommandsTest extends DifferentialTestBase {

    private static final Set<String> DOC_FIELDS = Set.of("summary", "since", "group", "complexity");

    private ZSetTwins twins(int protocol) {
        return new ZSetTwins(redis, converge, protocol);
    }

    /** Sorted sets with ties, infinities, -0 and non-ASCII members; two plain sets (one of integers). */
    private static void fill(ZSetTwins t, String p) {
        t.check("ZADD", p + "a", "1", "x", "2", "y", "3", "z", "0.1", "w", "0", "n", "1", "\u00e9", "1", "X");
        t.check("ZADD", p + "b", "10", "y", "20", "z", "30", "v", "0.2", "w", "-0", "n", "1", "x");
        t.check("ZADD", p + "c", "inf", "x", "-inf", "y", "5", "z", "-inf", "w");
        t.check("SADD", p + "s", "x", "z", "q", "\u00e9");
        t.check("SADD", p + "i", "3", "1", "20", "2");
    }

    /** ZUNION and ZINTER with and without WITHSCORES, WEIGHTS, AGGREGATE, plain sets and missing keys. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zunionAndZinter(int protocol) {
        String p = "zalg:" + protocol + ":";
        String a = p + "a";
        String b = p + "b";
        String c = p + "c";
        try (ZSetTwins t = twins(protocol)) {
            fill(t, p);
            String[][] calls = {
                {"1", a},
                {"2", a, b},
                {"2", b, a},
                {"2", a, b, "WEIGHTS", "2", "0.5"},
                {"2", a, b, "AGGREGATE", "MIN"},
                {"2", a, b, "aggregate", "max", "weights", "-1", "3"},
                {"2", a, b, "WEIGHTS", "-1", "0"},
                {"3", a, b, c},
                {"3", a, b, c, "WEIGHTS", "0", "1", "1"},
                {"3", a, b, c, "WEIGHTS", "1", "1", "0", "AGGREGATE", "MIN"},
                {"3", a, b, c, "AGGREGATE", "MAX", "AGGREGATE", "SUM"},
                {"2", c, c, "WEIGHTS", "1", "-1"},
                {"2", a, p + "missing"},
                {"1", p + "missing"},
                {"2", p + "missing", p + "missing"},
                {"1", a, "WEIGHTS", "inf"},
                {"1", a, "WEIGHTS", "-0"},
                {"3", a, a, a, "WEIGHTS", "0.1", "0.2", "0.3"},
                {"2", a, p + "s"},
                {"2", p + "s", a, "WEIGHTS", "3", "1", "AGGREGATE", "SUM"},
                {"2", p + "s", p + "i"},
                {"1", p + "i", "WEIGHTS", "-2"},
                {"3", p + "s", b, a, "WEIGHTS", "0.5", "inf", "2"},
            };
            for (String[] call : calls) {
                for (String cmd : List.of("ZUNION", "ZINTER")) {
                    t.check(concat(new String[] {cmd}, call));
                    t.check(concat(new String[] {cmd}, call, new String[] {"WITHSCORES"}));
                }
            }
            // WITHSCORES anywhere among the options, and more than once.
            t.check("ZUNION", "2", a, b, "WITHSCORES", "WEIGHTS", "1", "2", "WITHSCORES");
            t.check("ZINTER", "2", a, b, "withscores", "AGGREGATE", "MIN");
            // The reply equals what the *STORE form stores.
            t.check("ZUNIONSTORE", p + "dst", "3", a, b, c, "WEIGHTS", "2", "1", "-1");
            assertThat(t.check("ZRANGE", p + "dst", "0", "-1", "WITHSCORES"))
                    .isEqualTo(t.check("ZUNION", "3", a, b, c, "WEIGHTS", "2", "1", "-1", "WITHSCORES"));
        }
    }

    /** ZDIFF (with and without WITHSCORES) and ZDIFFSTORE over the same inputs. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zdiff(int protocol) {
        String p = "zdiff:" + protocol + ":";
        String a = p + "a";
        String b = p + "b";
        String c = p + "c";
        try (ZSetTwins t = twins(protocol)) {
            fill(t, p);
            String[][] calls = {
                {"1", a},
                {"2", a, b},
                {"2", b, a},
                {"3", a, b, c},
                {"3", a, p + "missing", b},
                {"2", a, a},
                {"2", a, p + "missing"},
                {"2", p + "missing", a},
                {"1", p + "missing"},
                {"2", a, p + "s"},
                {"2", p + "s", a},
                {"1", p + "s"},
                {"2", p + "i", p + "s"},
                {"1", c},
            };
            for (String[] call : calls) {
                t.check(concat(new String[] {"ZDIFF"}, call));
                t.check(concat(new String[] {"ZDIFF"}, call, new String[] {"WITHSCORES"}));
                t.check(concat(new String[] {"ZDIFFSTORE", p + "dst"}, call));
                t.check("ZRANGE", p + "dst", "0", "-1", "WITHSCORES");
                t.check("EXISTS", p + "dst");
            }
            t.check("ZDIFF", "2", a, b, "WITHSCORES", "withscores");
        }
    }

    /** ZDIFFSTORE replaces its destination whatever it holds, even when it is an input. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zdiffstoreDestination(int protocol) {
        String p = "zdiffdst:" + protocol + ":";
        String a = p + "a";
        String b = p + "b";
        try (ZSetTwins t = twins(protocol)) {
            fill(t, p);
            t.check("ZDIFFSTORE", a, "2", a, b);
            t.check("ZRANGE", a, "0", "-1", "WITHSCORES");
            t.check("ZDIFFSTORE", b, "2", a, b);
            t.check("ZRANGE", b, "0", "-1", "WITHSCORES");
            t.check("SET", p + "str", "v");
            t.check("ZDIFFSTORE", p + "str", "1", p + "c");
            t.check("TYPE", p + "str");
            t.check("ZRANGE", p + "str", "0", "-1", "WITHSCORES");
            t.check("ZDIFFSTORE", p + "s", "2", p + "s", p + "missing");
            t.check("TYPE", p + "s");
            t.check("ZRANGE", p + "s", "0", "-1", "WITHSCORES");
            t.check("ZDIFFSTORE", p + "s", "2", p + "s", p + "s");
            t.check("EXISTS", p + "s");
            t.check("EXPIRE", p + "c", "100");
            t.check("ZDIFFSTORE", p + "c", "1", p + "c");
            t.check("TTL", p + "c");
            t.check("ZRANGE", p + "c", "0", "-1", "WITHSCORES");
        }
    }

    /** ZINTERCARD with and without LIMIT (0 is no limit; the last LIMIT counts). */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void zintercard(int protocol) {
        String p = "zicard:" + protocol + ":";
        String a = p + "a";
        String b = p + "b";
        try (ZSetTwins t = twins(protocol)) {
            fill(t, p);
            String[][] calls = {
                {"1", a},
                {"2", a, b},
                {"2", a, a},
                {"3", a, b, p + "c"},
                {"2", a, p + "missing"},
                {"1", p + "missing"},
                {"2", a, p + "s"},
                {"2", p + "s", p + "i"},
                {"2", a, b, "LIMIT", "0"},
                {"2", a, b, "LIMIT", "1"},
                {"2", a, b, "LIMIT", "2"},
                {"2", a, b, "LIMIT", "100"},
                {"1", a, "LIMIT", "3", "LIMIT", "0"},
                {"1", a, "limit", "0", "LIMIT", "2"},
            };
            for (String[] call : calls) {
                t.check(concat(new String[] {"ZINTERCARD"}, call));
            }
        }
    }

    /**
     * Inputs of a few hundred members (Redis's skiplist and hashtable encodings): results, their
     * order, and ZINTERCARD's LIMIT around Converge's 128-member counting steps.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void largeInputs(int protocol) {
        String p = "zalgbig:" + protocol + ":";
        String a = p + "a";
        String b = p + "b";
        String s = p + "s";
        try (ZSetTwins t = twins(protocol)) {
            List<String> za = new ArrayList<>(List.of("ZADD", a));
            List<String> zb = new ArrayList<>(List.of("ZADD", b));
            List<String> sa = new ArrayList<>(List.of("SADD", s));
            for (int i = 0; i < 600; i++) {
                za.add(Integer.toString(i % 37));
                za.add("m" + i);
                if (i % 2 == 0) {
                    zb.add(Double.toString(i / 8.0));
                    zb.add("m" + i);
                }
                if (i % 3 == 0) {
                    sa.add("m" + i);
                }
            }
            t.check(za.toArray(new String[0]));
            t.check(zb.toArray(new String[0]));
            t.check(sa.toArray(new String[0]));
            for (String cmd : List.of("ZUNION", "ZINTER", "ZDIFF")) {
                t.check(cmd, "3", a, b, s, "WITHSCORES");
                t.check(cmd, "2", s, a, "WITHSCORES");
            }
            t.check("ZUNION", "3", a, b, s, "WEIGHTS", "1", "-1", "0.5", "AGGREGATE", "MAX", "WITHSCORES");
            for (String limit : List.of("0", "1", "127", "128", "129", "255", "256", "299", "300", "301", "1000")) {
                t.check("ZINTERCARD", "2", a, b, "LIMIT", limit);
                t.check("ZINTERCARD", "1", a, "LIMIT", limit);
            }
            t.check("ZINTERCARD", "3", a, b, s, "LIMIT", "64");
            t.check("ZINTERCARD", "3", a, b, s);
        }
    }

    /** Errors of every form (numkeys, options a command does not take, WRONGTYPE) and their order of checking. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void errors(int protocol) {
        String p = "zalgerr:" + protocol + ":";
        String a = p + "a";
        String str = p + "str";
        try (ZSetTwins t = twins(protocol)) {
            t.check("ZADD", a, "1", "x");
            t.check("SET", str, "v");
            for (String cmd : List.of("ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD")) {
                assertThat(t.check(cmd, "0", a)).isInstanceOf(Err.class);
                t.check(cmd, "-1", a);
                t.check(cmd, "x", a);
                t.check(cmd, "", a);
                t.check(cmd, "1.5", a);
                t.check(cmd, "99999999999999999999", a);
                t.check(cmd, "2", a);
                t.check(cmd, "3000000000", a);
                t.check(cmd, "1");
                t.check(cmd);
                t.check(cmd, "1", a, "FOO");
                t.check(cmd, "1", a, "WEIGHTS");
                t.check(cmd, "1", a, "WEIGHTS", "2");
                t.check(cmd, "1", a, "WEIGHTS", "x");
                t.check(cmd, "1", a, "WEIGHTS", "nan");
                t.check(cmd, "1", a, "WEIGHTS", "1", "2");
                t.check(cmd, "2", a, a, "WEIGHTS", "1");
                t.check(cmd, "1", a, "AGGREGATE", "MIN");
                t.check(cmd, "1", a, "AGGREGATE", "AVG");
                t.check(cmd, "1", a, "AGGREGATE");
                t.check(cmd, "1", a, "WITHSCORES");
                t.check(cmd, "1", a, "LIMIT", "1");
                t.check(cmd, "1", a, "LIMIT", "-1");
                t.check(cmd, "1", a, "LIMIT", "x");
                t.check(cmd, "1", a, "LIMIT", "99999999999999999999");
                t.check(cmd, "1", a, "LIMIT");
                t.check(cmd, "2", a, str);
                t.check(cmd, "2", str, a);
                t.check(cmd, "2", p + "missing", str);
                t.check(cmd, "2", a, str, "FOO");
                t.check(cmd, "2", a, str, "WEIGHTS", "x", "y");
                t.check(cmd, "1", str, "LIMIT", "-1");
            }
            for (String cmd : List.of("ZDIFFSTORE", "ZUNIONSTORE", "ZINTERSTORE")) {
                t.check(cmd, p + "d", "0", a);
                t.check(cmd, p + "d", "-1", a);
                t.check(cmd, p + "d", "x", a);
                t.check(cmd, p + "d", "2", a);
                t.check(cmd, p + "d", "1");
                t.check(cmd, p + "d");
                t.check(cmd, p + "d", "1", a, "WITHSCORES");
                t.check(cmd, p + "d", "1", a, "WEIGHTS", "1");
                t.check(cmd, p + "d", "1", a, "AGGREGATE", "SUM");
                t.check(cmd, p + "d", "1", a, "LIMIT", "1");
                t.check(cmd, p + "d", "1", a, "FOO");
                t.check(cmd, p + "d", "2", a, str);
                t.check(cmd, p + "d", "2", str, a, "FOO");
                t.check("EXISTS", p + "d");
            }
            t.check("ZDIFFSTORE", str, "1", p + "x", "WITHSCORES");
            t.check("TYPE", str);
        }
    }

    /** The commands inside MULTI/EXEC, and a WATCH that a ZDIFFSTORE breaks. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void transactions(int protocol) {
        String p = "zalgmulti:" + protocol + ":";
        try (ZSetTwins t = twins(protocol)) {
            fill(t, p);
            t.check("MULTI");
            t.check("ZUNION", "2", p + "a", p + "b", "WITHSCORES");
            t.check("ZINTER", "2", p + "a", p + "s", "WITHSCORES");
            t.check("ZDIFF", "2", p + "a", p + "b");
            t.check("ZINTERCARD", "2", p + "a", p + "b", "LIMIT", "2");
            t.check("ZDIFFSTORE", p + "d", "2", p + "a", p + "b");
            t.check("ZUNION", "1", p + "d", "WITHSCORES");
            t.check("ZINTERCARD", "1", p + "d", "LIMIT", "-1");
            t.check("EXEC");
            t.check("WATCH", p + "d");
            try (ZSetTwins other = twins(protocol)) {
                other.check("ZDIFFSTORE", p + "d", "1", p + "b");
            }
            t.check("MULTI");
            t.check("ZCARD", p + "d");
            t.check("EXEC");
        }
    }

    /** COMMAND INFO and COMMAND DOCS (summary, since, group, complexity) as Redis 7.0 reports them. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void commandInfoAndDocs(int protocol) {
        try (ZSetTwins t = twins(protocol)) {
            for (String cmd : List.of("zunion", "zinter", "zdiff", "zdiffstore", "zintercard")) {
                t.check("COMMAND", "INFO", cmd);
                Object[] docs = t.both("COMMAND", "DOCS", cmd);
                assertThat(docFields(docs[1])).as("COMMAND DOCS %s", cmd).isEqualTo(docFields(docs[0]))
                        .hasSize(8);
            }
        }
    }

    /** The summary, since, group and complexity fields (name and value) of a one-command COMMAND DOCS reply. */
    private static List<Object> docFields(Object reply) {
        List<Object> outer = entries(reply);
        List<Object> fields = entries(outer.get(1));
        List<Object> kept = new ArrayList<>();
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            if (fields.get(i) instanceof Bulk name && DOC_FIELDS.contains(name.text())) {
                kept.add(fields.get(i));
                kept.add(fields.get(i + 1));
            }
        }
        return kept;
    }

    /** The elements of a RESP3 map or of a RESP2 flat array. */
    private static List<Object> entries(Object mapOrArray) {
        if (mapOrArray instanceof RespMap m) {
            return m.entries();
        }
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) mapOrArray;
        return list;
    }

    /** The parts one after the other. */
    private static String[] concat(String[]... parts) {
        List<String> out = new ArrayList<>();
        for (String[] part : parts) {
            out.addAll(List.of(part));
        }
        return out.toArray(new String[0]);
    }
}
