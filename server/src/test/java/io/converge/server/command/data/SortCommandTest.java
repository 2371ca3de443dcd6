package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.store.StorageEngine;
import io.converge.server.testing.RespClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SORT and SORT_RO against redis-server, RESP2 and RESP3: every option on lists, sets and sorted
 * sets, BY and GET with strings and hash fields, LIMIT's edge cases, ALPHA over binary data,
 * STORE over every type, the errors and their order, scripts and transactions, COMMAND INFO and
 * GETKEYS, and fixed-seed random sorts (ties included, where Redis's partial quicksort decides
 * the order).
 */
class SortCommandTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void listsSortNumericallyByDefaultAlphaOnRequest(int protocol) {
        script(protocol,
                cmd("RPUSH", "l", "3", "1", "2", "10", "-4", "2.5", "1e2", "-inf", "+inf", "0x10", "  7", ""),
                cmd("SORT", "l"),
                cmd("SORT", "l", "DESC"),
                cmd("SORT", "l", "ASC"),
                cmd("SORT", "l", "desc", "asc"),
                cmd("SORT", "l", "ALPHA"),
                cmd("SORT", "l", "ALPHA", "DESC"),
                cmd("SORT_RO", "l"),
                cmd("SORT_RO", "l", "alpha", "desc", "limit", "2", "3"),
                // Equal scores are ordered by the elements' bytes.
                cmd("RPUSH", "eq", "1.0", "1", "01", "+1", "1e0", "0", "-0", "0.0", "1"),
                cmd("SORT", "eq"),
                cmd("SORT", "eq", "DESC"),
                cmd("SORT", "nokey"),
                cmd("SORT", "nokey", "ALPHA", "DESC", "LIMIT", "0", "1"),
                cmd("SORT_RO", "nokey"),
                cmd("RPUSH", "words", "banana", "apple", "cherry", "Apple", "apple"),
                cmd("SORT", "words"),
                cmd("SORT", "words", "ALPHA"),
                cmd("SORT", "words", "ALPHA", "DESC", "LIMIT", "1", "2"));
    }

    /**
     * Numbers as strtod reads them, any ERANGE refused. Each value is checked on a new connection:
     * redis-server 7.0 does not clear {@code errno} before its strtod, so an ERANGE leaks into the
     * later SORTs of a connection until some system call fails (accepting a new connection does),
     * where Converge judges every SORT on its own.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void whatCountsAsANumberFollowsStrtod(int protocol) {
        String[] values = {"", " 5", "\t5", "\n5", "5 ", "+5", "5.", ".5", ".", "-", "0x", "0x1p-1074", "0x1.8p-1074",
            "0x1p-1075", "0x1p1024", "0x1.fffffffffffff8p1023", "0x.8", "0x.p1", "1e", "1e+", "1e309", "1e-310",
            "1e-400", "0e-999", "2.2250738585072014e-308", "2.2250738585072011e-308", "2.2250738585072013e-308",
            "1.7976931348623159e308", "inf", "INFINITY", "-Infinity", "infinit", "nan", "NaN(1)", "1_000", "12\u0000x",
            "\u0000", "  ", "0x1.fffffffffffffcp-1023", "1e-4000000000", "4.9406564584124654e-324"};
        for (int i = 0; i < values.length; i++) {
            script(protocol,
                    cmd("RPUSH", "n" + i, values[i]),
                    cmd("SORT", "n" + i),
                    cmd("RPUSH", "m" + i, "1", values[i], "2"),
                    cmd("SORT", "m" + i, "DESC"));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void setsAndSortedSets(int protocol) {
        script(protocol,
                cmd("SADD", "ints", "5", "3", "10", "-2", "7", "100", "-50"),
                cmd("SORT", "ints"),
                cmd("SORT", "ints", "DESC", "LIMIT", "1", "3"),
                cmd("SORT", "ints", "ALPHA"),
                // An intset keeps its own (ascending) order when not sorted, whatever DESC says.
                cmd("SORT", "ints", "BY", "nosort"),
                cmd("SORT", "ints", "BY", "nosort", "DESC"),
                cmd("SORT", "ints", "BY", "nosort", "LIMIT", "2", "3"),
                cmd("SADD", "strs", "pear", "fig", "apple", "kiwi", "date"),
                cmd("SORT", "strs", "ALPHA"),
                cmd("SORT", "strs", "ALPHA", "DESC", "LIMIT", "1", "2"),
                cmd("SORT", "strs"),
                cmd("ZADD", "z", "3", "c", "1", "a", "2", "b", "2", "bb", "-1", "10", "5", "4"),
                cmd("SORT", "z", "ALPHA"),
                cmd("SORT", "z", "ALPHA", "DESC"),
                cmd("SORT", "z"),
                // A sorted set BY nosort keeps its order (by score), LIMIT over that order.
                cmd("SORT", "z", "BY", "nosort"),
                cmd("SORT", "z", "BY", "nosort", "DESC"),
                cmd("SORT", "z", "BY", "nosort", "LIMIT", "1", "3"),
                cmd("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "3"),
                cmd("SORT", "z", "BY", "nosort", "LIMIT", "5", "10"),
                cmd("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "6", "10"),
                cmd("SORT", "z", "BY", "nosort", "LIMIT", "-3", "2"),
                cmd("SORT", "z", "BY", "nosort", "GET", "#", "GET", "w_*"),
                cmd("ZADD", "zints", "3", "30", "1", "10", "2", "20"),
                cmd("SORT", "zints"),
                cmd("SORT", "zints", "DESC"),
                cmd("SORT", "zints", "BY", "nosort", "DESC"),
                cmd("RPUSH", "l", "c", "a", "b", "d"),
                cmd("SORT", "l", "BY", "nosort"),
                cmd("SORT", "l", "BY", "nosort", "DESC"),
                cmd("SORT", "l", "BY", "nosort", "LIMIT", "1", "2"),
                cmd("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"),
                cmd("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "3", "5"),
                // Once a BY without '*' was given, a later BY pattern does not sort either.
                cmd("SORT", "l", "BY", "nosort", "BY", "w_*", "ALPHA"),
                cmd("SORT", "l", "BY", "w_*", "BY", "nosort"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void byAndGetPatternsReadStringsAndHashFields(int protocol) {
        script(protocol,
                cmd("RPUSH", "ids", "1", "2", "3", "4", "5"),
                cmd("MSET", "w_1", "50", "w_2", "10", "w_3", "30", "w_5", "-1", "name_1", "one", "name_2", "two",
                        "name_4", "four"),
                cmd("HSET", "h_1", "rank", "b", "v", "x1"),
                cmd("HSET", "h_2", "rank", "a", "v", "x2"),
                cmd("HSET", "h_3", "rank", "c"),
                cmd("HSET", "h_5", "rank", "3.5"),
                cmd("SET", "h_4", "not a hash"),
                cmd("SORT", "ids", "BY", "w_*"),
                cmd("SORT", "ids", "BY", "w_*", "DESC"),
                cmd("SORT", "ids", "BY", "w_*", "GET", "name_*"),
                cmd("SORT", "ids", "BY", "w_*", "GET", "#", "GET", "name_*", "GET", "h_*->v"),
                cmd("SORT", "ids", "BY", "h_*->rank", "ALPHA"),
                cmd("SORT", "ids", "BY", "h_*->rank", "ALPHA", "DESC"),
                cmd("SORT", "ids", "BY", "h_*->rank"),
                cmd("SORT", "ids", "BY", "h_*->nofield", "DESC"),
                cmd("SORT", "ids", "GET", "h_*->rank"),
                cmd("SORT", "ids", "GET", "h_*->"),
                cmd("SORT", "ids", "GET", "w_*->"),
                cmd("SORT", "ids", "GET", "h->*"),
                cmd("SORT", "ids", "GET", "nostar"),
                cmd("SORT", "ids", "GET", "#", "GET", "#"),
                cmd("SORT", "ids", "GET", "ids"),
                cmd("SORT", "ids", "GET", "*"),
                cmd("SORT", "ids", "BY", "nosort", "GET", "w_*"),
                cmd("SORT", "ids", "BY", "nosort", "DESC", "LIMIT", "1", "2", "GET", "name_*", "GET", "#"),
                cmd("SORT", "ids", "BY", "nothing_*"),
                cmd("SORT", "ids", "BY", "nothing_*", "DESC"),
                cmd("SORT", "ids", "BY", "w_*", "LIMIT", "1", "2"),
                cmd("SORT", "ids", "BY", "w_*", "LIMIT", "0", "3", "DESC", "GET", "#", "GET", "w_*"),
                cmd("SORT_RO", "ids", "BY", "w_*", "GET", "name_*"),
                // Keys holding other types than the pattern needs read as missing.
                cmd("SADD", "w_4", "x"),
                cmd("SORT", "ids", "BY", "w_*"),
                cmd("SORT", "ids", "BY", "h_*->rank", "GET", "w_*", "GET", "h_*->rank"),
                // A BY value that is not a number.
                cmd("SET", "w_4", "abc"),
                cmd("SORT", "ids", "BY", "w_*"),
                cmd("SORT", "ids", "BY", "w_*", "ALPHA"),
                cmd("SORT", "ids", "BY", "w_*", "ALPHA", "DESC"),
                // The element substituted may be empty, binary, or anything else.
                cmd("RPUSH", "odd", "", "a*b", "x->y", "\u0000"),
                cmd("SET", "k_", "empty"),
                cmd("SET", "k_a*b", "star"),
                cmd("SET", "k_x->y", "arrow"),
                cmd("SET", "k_\u0000", "nul"),
                cmd("SORT", "odd", "BY", "nosort", "GET", "k_*", "GET", "#"),
                cmd("SORT", "odd", "BY", "k_*", "ALPHA", "GET", "k_*"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void patternsAreReadAsCStrings(int protocol) {
        script(protocol,
                cmd("RPUSH", "l", "1", "2", "3"),
                cmd("MSET", "w_1", "3", "w_2", "2", "w_3", "1", "w_\u00001", "x"),
                cmd("SET", "p\u0000x1", "a"),
                cmd("SORT", "l", "BY", "w_\u0000*"),
                cmd("SORT", "l", "GET", "w_\u0000*"),
                cmd("SORT", "l", "GET", "#\u0000x"),
                cmd("SORT", "l", "GET", "#x"),
                cmd("SORT", "l", "GET", "##"),
                cmd("SORT", "l", "GET", ""),
                cmd("SORT", "l", "GET", "p*"),
                cmd("HSET", "h1", "f\u0000g", "nul-field", "f", "short"),
                cmd("SORT", "l", "GET", "h*->f\u0000g"),
                cmd("SORT", "l", "GET", "h*->\u0000g"),
                cmd("SORT", "l", "BY", "w_*\u0000", "GET", "#"),
                cmd("SORT", "l", "BY", "w_*->", "GET", "#"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void limitEdgeCases(int protocol) {
        List<String[]> commands = new ArrayList<>();
        commands.add(cmd("RPUSH", "l", "5", "3", "1", "4", "2"));
        commands.add(cmd("ZADD", "z", "5", "e", "3", "c", "1", "a", "4", "d", "2", "b"));
        commands.add(cmd("MSET", "w_1", "1", "w_2", "2"));
        String[][] limits = {{"0", "-1"}, {"-5", "2"}, {"2", "-1"}, {"1", "9223372036854775807"},
            {"2", "9223372036854775807"}, {"9223372036854775807", "9223372036854775807"}, {"5", "1"}, {"4", "10"},
            {"-9223372036854775808", "-9223372036854775808"}, {"3", "0"}, {"0", "0"}, {"6", "2"},
            {"1", "-9223372036854775808"}, {"2", "9223372036854775806"}, {"4", "1"}, {"-1", "1"}, {"0", "5"}};
        for (String[] lim : limits) {
            commands.add(cmd("SORT", "l", "LIMIT", lim[0], lim[1]));
            commands.add(cmd("SORT", "l", "BY", "nosort", "LIMIT", lim[0], lim[1]));
            commands.add(cmd("SORT", "l", "BY", "nosort", "DESC", "LIMIT", lim[0], lim[1]));
            commands.add(cmd("SORT", "l", "BY", "w_*", "LIMIT", lim[0], lim[1], "GET", "#", "GET", "w_*"));
            commands.add(cmd("SORT", "z", "BY", "nosort", "DESC", "LIMIT", lim[0], lim[1]));
            commands.add(cmd("SORT", "z", "ALPHA", "LIMIT", lim[0], lim[1]));
            commands.add(cmd("SORT", "nokey", "LIMIT", lim[0], lim[1]));
            commands.add(cmd("SORT", "l", "LIMIT", lim[0], lim[1], "STORE", "dst"));
            commands.add(cmd("LRANGE", "dst", "0", "-1"));
        }
        commands.add(cmd("SORT", "l", "LIMIT", "1", "2", "LIMIT", "0", "1"));
        script(protocol, commands.toArray(new String[0][]));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void storeReplacesTheDestinationWithAList(int protocol) {
        script(protocol,
                cmd("RPUSH", "src", "3", "1", "2"),
                cmd("SET", "str", "v", "EX", "1000"),
                cmd("SORT", "src", "STORE", "str"),
                cmd("TYPE", "str"),
                cmd("TTL", "str"),
                cmd("LRANGE", "str", "0", "-1"),
                cmd("HSET", "hash", "f", "v"),
                cmd("SORT", "src", "DESC", "STORE", "hash"),
                cmd("LRANGE", "hash", "0", "-1"),
                cmd("SADD", "set", "a"),
                cmd("SORT", "src", "LIMIT", "1", "1", "STORE", "set"),
                cmd("LRANGE", "set", "0", "-1"),
                cmd("ZADD", "zset", "1", "a"),
                cmd("PEXPIRE", "zset", "100000"),
                cmd("SORT", "src", "STORE", "zset"),
                cmd("PTTL", "zset"),
                cmd("LRANGE", "zset", "0", "-1"),
                cmd("RPUSH", "list", "x", "y", "z", "w"),
                cmd("SORT", "src", "STORE", "list"),
                cmd("LRANGE", "list", "0", "-1"),
                // The source itself as the destination.
                cmd("SORT", "src", "DESC", "STORE", "src"),
                cmd("LRANGE", "src", "0", "-1"),
                // GET values, nil stored as the empty string.
                cmd("SET", "name_1", "one"),
                cmd("SORT", "src", "GET", "#", "GET", "name_*", "STORE", "got"),
                cmd("LRANGE", "got", "0", "-1"),
                // An empty result deletes the destination.
                cmd("SORT", "nokey", "STORE", "got"),
                cmd("EXISTS", "got"),
                cmd("SORT", "nokey", "STORE", "got"),
                cmd("SORT", "src", "LIMIT", "5", "5", "STORE", "list"),
                cmd("EXISTS", "list"),
                // A set BY nosort is sorted ALPHA when stored.
                cmd("SADD", "s", "b", "10", "a", "2", "c"),
                cmd("SORT", "s", "BY", "nosort", "STORE", "ss"),
                cmd("LRANGE", "ss", "0", "-1"),
                cmd("SORT", "s", "BY", "nosort", "DESC", "LIMIT", "1", "3", "STORE", "ss"),
                cmd("LRANGE", "ss", "0", "-1"),
                cmd("SORT", "s", "BY", "nosort", "BY", "w_*", "STORE", "ss"),
                cmd("LRANGE", "ss", "0", "-1"),
                cmd("SADD", "si", "30", "-1", "200"),
                cmd("SORT", "si", "BY", "nosort", "STORE", "ss"),
                cmd("LRANGE", "ss", "0", "-1"),
                // The last STORE wins; a conversion error stores nothing.
                cmd("SORT", "src", "STORE", "d1", "STORE", "d2"),
                cmd("EXISTS", "d1", "d2"),
                cmd("RPUSH", "bad", "1", "x"),
                cmd("SET", "keep", "me"),
                cmd("SORT", "bad", "STORE", "keep"),
                cmd("GET", "keep"),
                cmd("SORT", "bad", "ALPHA", "STORE", "keep"),
                cmd("LRANGE", "keep", "0", "-1"),
                cmd("DBSIZE"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void errorsAndTheirOrder(int protocol) {
        script(protocol,
                cmd("SET", "str", "v"),
                cmd("HSET", "hash", "f", "v"),
                cmd("RPUSH", "l", "1", "2"),
                cmd("SORT"),
                cmd("SORT_RO"),
                cmd("SORT", "str"),
                cmd("SORT", "hash"),
                cmd("SORT_RO", "str"),
                cmd("SORT", "str", "BY", "nosort"),
                cmd("SORT", "str", "STORE", "d"),
                cmd("EXISTS", "d"),
                cmd("SORT", "l", "FOO"),
                cmd("SORT", "str", "FOO"),
                cmd("SORT", "l", "LIMIT"),
                cmd("SORT", "l", "LIMIT", "1"),
                cmd("SORT", "l", "LIMIT", "a", "1"),
                cmd("SORT", "l", "LIMIT", "1", "b"),
                cmd("SORT", "l", "LIMIT", "1.5", "1"),
                cmd("SORT", "l", "LIMIT", "9223372036854775808", "1"),
                cmd("SORT", "str", "LIMIT", "x", "1"),
                cmd("SORT", "l", "BY"),
                cmd("SORT", "l", "GET"),
                cmd("SORT", "l", "STORE"),
                cmd("SORT_RO", "l", "STORE", "d"),
                cmd("SORT_RO", "l", "store"),
                cmd("SORT", "l", "ASC", "DESC", "ALPHA", "BOGUS"),
                cmd("SORT", "l", "LIMIT", "0", "1", "GET", "#", "BY"),
                cmd("sort", "l", "limit", "0", "1", "get", "#", "by", "nosort", "desc", "alpha"));
    }

    /** ALPHA over binary data: as C strings when answering, every byte when storing. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void alphaComparesBytes(int protocol) {
        byte[][] values = {b("a"), {(byte) 0xff}, {(byte) 0xc3, (byte) 0xa9}, b("z"), b("a\u0000b"), b("a\u0000a"),
            b("a\u0000"), b("A"), {(byte) 0x80}, {0x7f}, b(""), b("\u0000")};
        List<byte[][]> commands = new ArrayList<>();
        byte[][] push = new byte[values.length + 2][];
        push[0] = b("RPUSH");
        push[1] = b("bin");
        System.arraycopy(values, 0, push, 2, values.length);
        commands.add(push);
        commands.add(bs("SORT", "bin", "ALPHA"));
        commands.add(bs("SORT", "bin", "ALPHA", "DESC"));
        commands.add(bs("SORT", "bin", "ALPHA", "STORE", "out"));
        commands.add(bs("LRANGE", "out", "0", "-1"));
        commands.add(bs("SORT", "bin", "ALPHA", "DESC", "STORE", "out"));
        commands.add(bs("LRANGE", "out", "0", "-1"));
        commands.add(bs("SORT", "bin", "ALPHA", "LIMIT", "2", "5"));
        // BY values compared the same way; a missing one sorts first.
        for (int i = 0; i < values.length; i++) {
            commands.add(new byte[][] {b("SET"), b("w_" + i), values[i]});
        }
        byte[][] push2 = new byte[values.length + 3][];
        push2[0] = b("RPUSH");
        push2[1] = b("ids");
        for (int i = 0; i < values.length; i++) {
            push2[i + 2] = b(Integer.toString(i));
        }
        push2[values.length + 2] = b("99");
        commands.add(push2);
        commands.add(bs("SORT", "ids", "BY", "w_*", "ALPHA"));
        commands.add(bs("SORT", "ids", "BY", "w_*", "ALPHA", "DESC"));
        commands.add(bs("SORT", "ids", "BY", "w_*", "ALPHA", "STORE", "out"));
        commands.add(bs("LRANGE", "out", "0", "-1"));
        commands.add(bs("SORT", "ids", "BY", "w_*", "ALPHA", "LIMIT", "1", "6", "GET", "w_*"));
        List<Object> expected = runBytes(redis, protocol, commands);
        List<Object> actual = runBytes(converge, protocol, commands);
        assertThat(actual).isEqualTo(expected);
    }

    /**
     * ALPHA sorts BY a pattern with LIMIT use Redis's partial quicksort, which leaves ties in an
     * order of its own: the same on lists of every size (insertion sort below 7, medians above 40).
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void tiesUnderLimitFollowRedisPartialSort(int protocol) {
        List<String[]> commands = new ArrayList<>();
        for (int size : new int[] {3, 6, 7, 8, 20, 41, 100, 300}) {
            String key = "l" + size;
            String[] push = new String[size + 2];
            push[0] = "RPUSH";
            push[1] = key;
            for (int i = 0; i < size; i++) {
                push[i + 2] = Integer.toString(size - i);
                if (i % 3 == 0) {
                    commands.add(cmd("SET", "t_" + (size - i), Integer.toString(i % 4)));
                }
            }
            commands.add(push);
            for (int[] lim : new int[][] {{0, 5}, {2, 5}, {size / 2, 3}, {size - 3, 10}, {1, size}, {0, size - 1}}) {
                String s = Integer.toString(lim[0]);
                String c = Integer.toString(lim[1]);
                commands.add(cmd("SORT", key, "BY", "nosuch_*", "ALPHA", "LIMIT", s, c));
                commands.add(cmd("SORT", key, "BY", "t_*", "ALPHA", "LIMIT", s, c));
                commands.add(cmd("SORT", key, "BY", "t_*", "ALPHA", "DESC", "LIMIT", s, c));
                commands.add(cmd("SORT", key, "BY", "t_*", "LIMIT", s, c, "GET", "#", "GET", "t_*"));
            }
            commands.add(cmd("SORT", key, "BY", "t_*", "ALPHA"));
            commands.add(cmd("SORT", key, "BY", "t_*", "ALPHA", "DESC"));
        }
        script(protocol, commands.toArray(new String[0][]));
    }

    /** Random lists, weights (with many ties) and options, every reply compared with redis-server's. */
    @Test
    void randomSortsMatchRedis() {
        Random random = new Random(0x5027L);
        for (int protocol : new int[] {2, 3}) {
            for (int round = 0; round < 12; round++) {
                List<String[]> commands = new ArrayList<>();
                commands.add(cmd("FLUSHALL"));
                int size = random.nextInt(60);
                String[] push = new String[size + 2];
                push[0] = "RPUSH";
                push[1] = "r";
                for (int i = 0; i < size; i++) {
                    push[i + 2] = element(random);
                    if (random.nextInt(3) > 0) {
                        commands.add(cmd("SET", "w_" + push[i + 2], element(random)));
                    }
                    if (random.nextInt(3) == 0) {
                        commands.add(cmd("HSET", "h_" + push[i + 2], "f", element(random)));
                    }
                }
                if (size > 0) {
                    commands.add(push);
                }
                for (int q = 0; q < 40; q++) {
                    commands.add(randomSort(random));
                    commands.add(cmd("LRANGE", "dst", "0", "-1"));
                }
                script(protocol, commands.toArray(new String[0][]));
            }
        }
    }

    /**
     * Random sets of integers (which Redis holds as intsets) and sorted sets, sorted with every
     * option whose result does not depend on how Redis iterates a hash table (no ALPHA with BY).
     */
    @Test
    void randomSortsOfSetsAndSortedSetsMatchRedis() {
        Random random = new Random(0x5E75L);
        for (int protocol : new int[] {2, 3}) {
            for (int round = 0; round < 10; round++) {
                List<String[]> commands = new ArrayList<>();
                commands.add(cmd("FLUSHALL"));
                int size = 1 + random.nextInt(50);
                List<String> sadd = new ArrayList<>(List.of("SADD", "r"));
                List<String> zadd = new ArrayList<>(List.of("ZADD", "z"));
                for (int i = 0; i < size; i++) {
                    String member = Integer.toString(random.nextInt(200) - 100);
                    sadd.add(member);
                    zadd.add(Integer.toString(random.nextInt(5)));
                    // No NUL bytes: elements equal as C strings would tie under ALPHA, in hash-table order in Redis.
                    zadd.add(random.nextBoolean() ? member : "abB1-\u00e9".charAt(random.nextInt(6)) + member);
                    if (random.nextBoolean()) {
                        commands.add(cmd("SET", "w_" + member, element(random)));
                    }
                }
                commands.add(sadd.toArray(new String[0]));
                commands.add(zadd.toArray(new String[0]));
                for (int q = 0; q < 40; q++) {
                    String[] sort = randomSort(random);
                    if (List.of(sort).contains("ALPHA") && List.of(sort).contains("BY")) {
                        continue;
                    }
                    if (random.nextBoolean()) {
                        sort[1] = "z";
                    }
                    commands.add(sort);
                    commands.add(cmd("LRANGE", "dst", "0", "-1"));
                }
                script(protocol, commands.toArray(new String[0][]));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void scriptsSortSetsThatAreNotSorted(int protocol) {
        script(protocol,
                cmd("SADD", "s", "b", "10", "a", "2", "c"),
                cmd("EVAL", "return redis.call('sort', KEYS[1], 'by', 'nosort')", "1", "s"),
                cmd("EVAL", "return redis.call('sort', KEYS[1], 'by', 'nosort', 'desc')", "1", "s"),
                cmd("EVAL", "return redis.call('sort_ro', KEYS[1], 'by', 'nosort', 'limit', '1', '2')", "1", "s"),
                cmd("EVAL", "return redis.call('sort', KEYS[1], 'by', 'nosort', 'store', KEYS[2])", "2", "s", "d"),
                cmd("LRANGE", "d", "0", "-1"),
                cmd("RPUSH", "l", "3", "1", "2"),
                cmd("SET", "w_1", "9"),
                cmd("EVAL", "return redis.call('sort', KEYS[1], 'by', 'w_*', 'get', '#', 'get', 'w_*')", "1", "l"),
                cmd("EVAL", "return redis.call('sort', KEYS[1], 'by', 'nosort')", "1", "l"),
                cmd("EVAL_RO", "return redis.call('sort', KEYS[1])", "1", "l"),
                cmd("EVAL_RO", "return redis.call('sort_ro', KEYS[1], 'desc')", "1", "l"),
                cmd("EVAL", "return redis.pcall('sort', KEYS[1], 'x')", "1", "l"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void transactionsRunSortWithPatterns(int protocol) {
        script(protocol,
                cmd("RPUSH", "l", "1", "2", "3"),
                cmd("MSET", "w_1", "3", "w_2", "1", "w_3", "2"),
                cmd("MULTI"),
                cmd("SORT", "l", "BY", "w_*", "GET", "w_*"),
                cmd("SET", "w_1", "0"),
                cmd("SORT", "l", "BY", "w_*", "STORE", "out"),
                cmd("SORT_RO", "l", "BY", "w_*", "DESC"),
                cmd("LRANGE", "out", "0", "-1"),
                cmd("SORT", "l", "BY", "nosort", "STORE", "out2"),
                cmd("EXEC"),
                cmd("LRANGE", "out2", "0", "-1"));
    }

    @Test
    void commandInfoAndGetkeysMatchRedis() {
        for (int protocol : new int[] {2, 3}) {
            script(protocol,
                    cmd("COMMAND", "INFO", "sort", "sort_ro"),
                    cmd("COMMAND", "GETKEYS", "SORT", "a"),
                    cmd("COMMAND", "GETKEYS", "SORT", "a", "STORE", "b"),
                    cmd("COMMAND", "GETKEYS", "SORT", "a", "store"),
                    cmd("COMMAND", "GETKEYS", "SORT", "a", "GET", "store", "b"),
                    cmd("COMMAND", "GETKEYS", "SORT", "a", "LIMIT", "store", "b", "x", "store", "c"),
                    cmd("COMMAND", "GETKEYS", "SORT", "a", "store", "b", "store", "c"),
                    cmd("COMMAND", "GETKEYS", "SORT", "a", "BY", "store", "b"),
                    cmd("COMMAND", "GETKEYS", "SORT", "a", "store", "a"),
                    cmd("COMMAND", "GETKEYS", "SORT", "a", "store", "limit", "1", "2"),
                    cmd("COMMAND", "GETKEYS", "SORT", "a", "limit", "0"),
                    cmd("COMMAND", "GETKEYS", "SORT_RO", "a", "STORE", "b"),
                    cmd("COMMAND", "GETKEYS", "SORT_RO", "a"),
                    cmd("COMMAND", "GETKEYS", "SORT"));
        }
        // COMMAND DOCS: Converge reports no argument tree; the rest is Redis's.
        try (RespClient c = new RespClient(converge)) {
            assertThat(c.call("COMMAND", "DOCS", "sort_ro").toString())
                    .contains("Sort the elements in a list, set or sorted set. Read-only variant of SORT.")
                    .contains("7.0.0").contains("generic");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void keyspaceEventsOfStore(int protocol) {
        List<List<Object>> seen = new ArrayList<>();
        for (var target : List.of(redis, converge)) {
            try (RespClient admin = connect(target, protocol); RespClient sub = connect(target, 2)) {
                admin.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
                sub.call("PSUBSCRIBE", "__keyevent@0__:*");
                admin.call("RPUSH", "src", "2", "1");
                admin.call("SET", "dst", "x");
                admin.call("SORT", "src", "STORE", "dst");
                admin.call("SORT", "nokey", "STORE", "dst");
                admin.call("SORT", "nokey", "STORE", "dst");
                admin.call("SORT", "src");
                admin.call("PUBLISH", "__keyevent@0__:end", "end");
                List<Object> messages = new ArrayList<>();
                while (true) {
                    Object m = sub.read();
                    messages.add(m);
                    if (m.toString().contains("end")) {
                        break;
                    }
                }
                seen.add(messages);
                admin.call("CONFIG", "SET", "notify-keyspace-events", "");
            }
        }
        assertThat(seen.get(1)).isEqualTo(seen.get(0));
    }

    /**
     * A SORT whose patterns read other keys holds the whole keyspace while it runs (so it waits for
     * an operation on any key); one without patterns takes only its own keys' locks.
     */
    @Test
    void aSortWithPatternsHoldsTheWholeKeyspace() throws Exception {
        StorageEngine engine = (StorageEngine) converge.node().services().engine();
        ExecutorService pool = Executors.newCachedThreadPool();
        try (RespClient c = new RespClient(converge)) {
            c.call("FLUSHALL");
            c.call("RPUSH", "l", "2", "1");
            c.call("SET", "w_1", "5");
            byte[][] own = {b("l"), b("dst")};
            for (int i = 0; ; i++) {
                assertThat(i).as("a key sharing no lock with l and dst").isLessThan(50);
                byte[] unrelated = b("unrelated:" + i);
                CountDownLatch locked = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                Future<?> holder = pool.submit(() -> engine.withKey(unrelated, a -> {
                    locked.countDown();
                    awaitUninterruptibly(release);
                    return null;
                }));
                locked.await();
                Future<?> probe = pool.submit(() -> engine.withKeys(own, a -> null));
                try {
                    probe.get(500, TimeUnit.MILLISECONDS);
                } catch (TimeoutException sharesALock) {
                    release.countDown();
                    probe.get(10, TimeUnit.SECONDS);
                    holder.get(10, TimeUnit.SECONDS);
                    continue;
                }
                try {
                    assertThat(pool.submit(() -> c.call("SORT", "l", "GET", "#", "STORE", "dst")).get(10, TimeUnit.SECONDS))
                            .isEqualTo(2L);
                    Future<Object> patterned = pool.submit(() -> c.call("SORT", "l", "BY", "w_*"));
                    assertThatThrownBy(() -> patterned.get(300, TimeUnit.MILLISECONDS))
                            .isInstanceOf(TimeoutException.class);
                    release.countDown();
                    assertThat(patterned.get(10, TimeUnit.SECONDS)).isEqualTo(List.of(new RespClient.Bulk("2"),
                            new RespClient.Bulk("1")));
                } finally {
                    release.countDown();
                    holder.get(10, TimeUnit.SECONDS);
                }
                return;
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // keep waiting: the test releases it
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static final String[] ELEMENTS = {"1", "2", "3", "10", "-1", "a", "b", "B", "", "1.5", "x\u0000y",
        "x\u0000z", "\u00e9", "2", "a"};

    private static String element(Random random) {
        return random.nextInt(4) == 0 ? Integer.toString(random.nextInt(30)) : ELEMENTS[random.nextInt(ELEMENTS.length)];
    }

    /** A random SORT or SORT_RO of list {@code r}, every option possible (and a few wrong ones). */
    private static String[] randomSort(Random random) {
        List<String> c = new ArrayList<>();
        boolean ro = random.nextInt(4) == 0;
        c.add(ro ? "SORT_RO" : "SORT");
        c.add("r");
        int options = random.nextInt(5);
        for (int i = 0; i < options; i++) {
            switch (random.nextInt(9)) {
                case 0 -> c.add(random.nextBoolean() ? "DESC" : "ASC");
                case 1, 2 -> c.add("ALPHA");
                case 3 -> {
                    c.add("LIMIT");
                    c.add(Integer.toString(random.nextInt(70) - 5));
                    c.add(Integer.toString(random.nextInt(70) - 5));
                }
                case 4 -> {
                    c.add("BY");
                    c.add(switch (random.nextInt(4)) {
                        case 0 -> "nosort";
                        case 1 -> "h_*->f";
                        default -> "w_*";
                    });
                }
                case 5, 6 -> {
                    c.add("GET");
                    c.add(switch (random.nextInt(4)) {
                        case 0 -> "#";
                        case 1 -> "h_*->f";
                        default -> "w_*";
                    });
                }
                case 7 -> {
                    if (!ro) {
                        c.add("STORE");
                        c.add("dst");
                    }
                }
                default -> c.add("DESC");
            }
        }
        return c.toArray(new String[0]);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[][] bs(String... args) {
        byte[][] out = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            out[i] = b(args[i]);
        }
        return out;
    }

    /** Runs binary commands on a fresh connection to {@code target}; returns the replies. */
    private static List<Object> runBytes(io.converge.server.testing.ServerTarget target, int protocol,
            List<byte[][]> commands) {
        try (RespClient c = connect(target, protocol)) {
            List<Object> replies = new ArrayList<>();
            for (byte[][] command : commands) {
                replies.add(c.call(command));
            }
            return replies;
        }
    }
}
