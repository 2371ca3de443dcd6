package io.converge.server.command.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO against redis-server 7.0 and
 * Converge, RESP2 and RESP3: replies, error texts and their order, ranges in BYTE and BIT units,
 * every overflow mode and width, {@code #} offsets, the offset limit, wrong types, TTLs kept, and
 * randomized streams of bit writes mixed with SETRANGE, APPEND, SET, DEL and reads, compared byte
 * for byte.
 */
class BitmapCommandsTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void setbitAndGetbit(int protocol) {
        script(protocol,
                cmd("SETBIT", "b", "7", "1"),
                cmd("GET", "b"),
                cmd("SETBIT", "b", "7", "1"),
                cmd("SETBIT", "b", "7", "0"),
                cmd("SETBIT", "b", "100", "0"),
                cmd("STRLEN", "b"),
                cmd("GET", "b"),
                cmd("GETBIT", "b", "7"),
                cmd("GETBIT", "b", "100"),
                cmd("GETBIT", "b", "10000"),
                cmd("GETBIT", "nokey", "3"),
                cmd("SET", "s", "foobar"),
                cmd("SETBIT", "s", "1", "0"),
                cmd("SETBIT", "s", "2", "1"),
                cmd("SETBIT", "s", "47", "0"),
                cmd("GET", "s"),
                cmd("GETBIT", "s", "2"),
                cmd("SET", "n", "12"),
                cmd("SETBIT", "n", "15", "1"),
                cmd("GET", "n"),
                cmd("INCR", "n"),
                cmd("SETBIT", "n", "7", "1"),
                cmd("GET", "n"),
                cmd("INCRBY", "ctr", "5"),
                cmd("SETBIT", "ctr", "6", "1"),
                cmd("GET", "ctr"),
                cmd("INCR", "ctr"),
                cmd("GET", "ctr"),
                cmd("SETBIT", "b", "-1", "1"),
                cmd("SETBIT", "b", "4294967296", "1"),
                cmd("SETBIT", "b", "x", "1"),
                cmd("SETBIT", "b", "01", "1"),
                cmd("SETBIT", "b", "1", "2"),
                cmd("SETBIT", "b", "1", "-1"),
                cmd("SETBIT", "b", "1", "x"),
                cmd("SETBIT", "b", "x", "x"),
                cmd("GETBIT", "b", "-1"),
                cmd("GETBIT", "b", "4294967296"),
                cmd("GETBIT", "b", "4294967295"),
                cmd("SADD", "set", "m"),
                cmd("SETBIT", "set", "1", "1"),
                cmd("GETBIT", "set", "1"),
                cmd("SETBIT", "set", "x", "1"),
                cmd("SETBIT", "b"),
                cmd("GETBIT", "b"),
                cmd("SET", "t", "abc", "EX", "1000"),
                cmd("SETBIT", "t", "30", "1"),
                cmd("TTL", "t"),
                cmd("TYPE", "b"),
                cmd("DEL", "b"),
                cmd("SETBIT", "b", "3", "1"),
                cmd("GET", "b"),
                cmd("SETBIT", "big", "100000", "1"),
                cmd("STRLEN", "big"),
                cmd("BITCOUNT", "big"),
                cmd("APPEND", "big", "xyz"),
                cmd("SETRANGE", "big", "5", "hello"),
                cmd("GETRANGE", "big", "0", "20"),
                cmd("GETRANGE", "big", "12495", "-1"),
                cmd("SETBIT", "big", "100002", "1"),
                cmd("STRLEN", "big"),
                cmd("GETRANGE", "big", "12495", "-1"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void bitcountAndBitpos(int protocol) {
        List<String[]> c = new ArrayList<>();
        c.add(cmd("SET", "s", "foobar"));
        c.add(cmd("SET", "ones", "\u00ff\u00ff\u00ff"));
        c.add(cmd("SET", "zeros", "\u0000\u0000\u0000"));
        c.add(cmd("SET", "empty", ""));
        c.add(cmd("SETBIT", "mix", "17", "1"));
        c.add(cmd("SETBIT", "mix", "3", "1"));
        c.add(cmd("SADD", "set", "m"));
        for (String key : new String[] {"s", "ones", "zeros", "empty", "mix", "nokey"}) {
            c.add(cmd("BITCOUNT", key));
            c.add(cmd("BITPOS", key, "1"));
            c.add(cmd("BITPOS", key, "0"));
            for (String[] range : new String[][] {{"0", "-1"}, {"1", "1"}, {"-2", "-1"}, {"-1", "-2"}, {"5", "2"},
                    {"-100", "100"}, {"2", "-3"}, {"9223372036854775807", "-9223372036854775808"},
                    {"-9223372036854775808", "9223372036854775807"}, {"0", "0"}, {"3", "10"}, {"7", "16"}}) {
                c.add(cmd("BITCOUNT", key, range[0], range[1]));
                c.add(cmd("BITCOUNT", key, range[0], range[1], "BYTE"));
                c.add(cmd("BITCOUNT", key, range[0], range[1], "bit"));
                for (String bit : new String[] {"0", "1"}) {
                    c.add(cmd("BITPOS", key, bit, range[0]));
                    c.add(cmd("BITPOS", key, bit, range[0], range[1]));
                    c.add(cmd("BITPOS", key, bit, range[0], range[1], "byte"));
                    c.add(cmd("BITPOS", key, bit, range[0], range[1], "BIT"));
                }
            }
        }
        // errors, in Redis's order of checks
        c.add(cmd("BITCOUNT", "nokey", "a", "b"));
        c.add(cmd("BITCOUNT", "s", "1"));
        c.add(cmd("BITCOUNT", "s", "a", "b"));
        c.add(cmd("BITCOUNT", "s", "1", "b"));
        c.add(cmd("BITCOUNT", "s", "-1", "-2", "foo"));
        c.add(cmd("BITCOUNT", "s", "0", "-1", "foo"));
        c.add(cmd("BITCOUNT", "s", "0", "-1", "bit", "x"));
        c.add(cmd("BITCOUNT", "set"));
        c.add(cmd("BITCOUNT", "set", "a"));
        c.add(cmd("BITCOUNT"));
        c.add(cmd("BITPOS", "nokey", "2"));
        c.add(cmd("BITPOS", "nokey", "x"));
        c.add(cmd("BITPOS", "nokey", "1", "a"));
        c.add(cmd("BITPOS", "s", "1", "a"));
        c.add(cmd("BITPOS", "s", "1", "0", "a"));
        c.add(cmd("BITPOS", "s", "1", "0", "-1", "foo"));
        c.add(cmd("BITPOS", "s", "1", "a", "b", "foo"));
        c.add(cmd("BITPOS", "s", "1", "0", "a", "foo"));
        c.add(cmd("BITPOS", "s", "1", "0", "a", "bit"));
        c.add(cmd("BITPOS", "s", "0", "0", "1", "bit", "x"));
        c.add(cmd("BITPOS", "set", "1"));
        c.add(cmd("BITPOS", "set", "3"));
        c.add(cmd("BITPOS", "s"));
        script(protocol, c.toArray(String[][]::new));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void bitop(int protocol) {
        script(protocol,
                cmd("SET", "a", "foobar"),
                cmd("SET", "b", "abcdefghij"),
                cmd("SETBIT", "c", "90", "1"),
                cmd("BITOP", "AND", "d", "a", "b"),
                cmd("GET", "d"),
                cmd("BITOP", "or", "d", "a", "b", "c"),
                cmd("GET", "d"),
                cmd("BITOP", "Xor", "d", "a", "b", "c", "nokey"),
                cmd("GET", "d"),
                cmd("BITOP", "NOT", "d", "a"),
                cmd("GET", "d"),
                cmd("BITOP", "NOT", "d", "c"),
                cmd("GET", "d"),
                cmd("BITOP", "AND", "d", "a"),
                cmd("GET", "d"),
                cmd("BITOP", "AND", "a", "a", "b"),
                cmd("GET", "a"),
                cmd("SET", "ttl", "x", "EX", "100"),
                cmd("BITOP", "OR", "ttl", "b"),
                cmd("TTL", "ttl"),
                cmd("BITOP", "AND", "d", "nokey", "nokey2"),
                cmd("EXISTS", "d"),
                cmd("BITOP", "NOT", "d", "nokey"),
                cmd("SET", "empty", ""),
                cmd("BITOP", "OR", "d2", "empty"),
                cmd("EXISTS", "d2"),
                cmd("SADD", "set", "m"),
                cmd("BITOP", "OR", "set", "a"),
                cmd("TYPE", "set"),
                cmd("SADD", "set2", "m"),
                cmd("BITOP", "OR", "d", "a", "set2"),
                cmd("BITOP", "NOT", "d", "a", "b"),
                cmd("BITOP", "NOT", "d"),
                cmd("BITOP", "NAND", "d", "a"),
                cmd("BITOP", "AND", "d"),
                cmd("BITOP", "AND"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void bitfield(int protocol) {
        List<String[]> c = new ArrayList<>();
        c.add(cmd("BITFIELD", "f", "SET", "u8", "0", "255", "GET", "u8", "0", "GET", "i8", "0", "GET", "u4", "4"));
        c.add(cmd("GET", "f"));
        c.add(cmd("BITFIELD", "f", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "7"));
        c.add(cmd("STRLEN", "f"));
        c.add(cmd("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "200", "7", "GET", "u2", "200"));
        c.add(cmd("STRLEN", "f"));
        c.add(cmd("BITFIELD", "f", "SET", "i5", "#3", "-1", "GET", "i5", "#3", "GET", "u5", "#3", "GET", "u8", "#1"));
        c.add(cmd("BITFIELD", "f", "SET", "i64", "0", "-9223372036854775808", "GET", "i64", "0", "GET", "u63", "1",
                "INCRBY", "i64", "0", "-1", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0",
                "9223372036854775807", "INCRBY", "i64", "0", "9223372036854775807", "OVERFLOW", "FAIL",
                "INCRBY", "i64", "0", "1", "GET", "i64", "0"));
        c.add(cmd("BITFIELD", "f", "SET", "u63", "3", "9223372036854775807", "GET", "u63", "3", "INCRBY", "u63", "3",
                "1", "OVERFLOW", "SAT", "INCRBY", "u63", "3", "-1", "INCRBY", "u63", "3", "5"));
        c.add(cmd("GET", "f"));
        String[] modes = {"WRAP", "SAT", "FAIL"};
        long[] values = {0, 1, -1, 7, 8, 15, 16, -8, -9, 127, 128, -128, -129, 255, 256, 1000, -1000,
                Long.MAX_VALUE, Long.MIN_VALUE};
        for (String mode : modes) {
            for (String type : new String[] {"u1", "i1", "u3", "i4", "u8", "i8", "i16", "u31", "i33"}) {
                for (long v : values) {
                    c.add(cmd("BITFIELD", "o", "OVERFLOW", mode, "SET", type, "13", Long.toString(v),
                            "GET", type, "13", "INCRBY", type, "13", Long.toString(v), "INCRBY", type, "13",
                            Long.toString(v / 3)));
                }
            }
        }
        c.add(cmd("GET", "o"));
        c.add(cmd("BITFIELD", "nokey", "GET", "u8", "0", "GET", "i3", "#20"));
        c.add(cmd("EXISTS", "nokey"));
        c.add(cmd("BITFIELD", "nokey"));
        c.add(cmd("BITFIELD_RO", "f", "GET", "u8", "0", "get", "i16", "5"));
        c.add(cmd("BITFIELD_RO", "nokey", "GET", "u8", "0"));
        c.add(cmd("BITFIELD_RO", "f"));
        c.add(cmd("BITFIELD_RO", "f", "SET", "u8", "0", "1"));
        c.add(cmd("BITFIELD_RO", "f", "INCRBY", "u8", "0", "1"));
        c.add(cmd("BITFIELD_RO", "f", "OVERFLOW", "SAT", "GET", "u8", "0"));
        c.add(cmd("BITFIELD_RO", "f", "OVERFLOW", "SAT"));
        // errors, in Redis's order
        for (String[] bad : new String[][] {
                {"GET", "u8"}, {"GET", "u64", "0"}, {"GET", "i65", "0"}, {"GET", "u0", "0"}, {"GET", "x8", "0"},
                {"GET", "", "0"}, {"GET", "u", "0"}, {"GET", "u08", "0"}, {"GET", "u8 ", "0"}, {"GET", "U8", "0"},
                {"GET", "u8", "-1"}, {"GET", "u8", "#-1"}, {"GET", "u8", "#"}, {"GET", "u8", "##1"},
                {"GET", "u8", "4294967295"}, {"GET", "u8", "4294967296"}, {"GET", "u8", "#536870911"},
                {"GET", "u8", "#536870912"}, {"GET", "i64", "#67108864"}, {"GET", "u8", "x"},
                {"SET", "u8", "0"}, {"SET", "u8", "0", "x"}, {"SET", "u8", "x", "x"}, {"INCRBY", "u8", "0", "1.5"},
                {"OVERFLOW"}, {"OVERFLOW", "NONE"}, {"OVERFLOW", "sat", "BOGUS"}, {"BOGUS", "u8", "0"},
                {"GET", "u8", "0", "SET", "u99", "0", "1"}, {"SET", "u8", "0", "1", "GET"}}) {
            String[] full = new String[2 + bad.length];
            full[0] = "BITFIELD";
            full[1] = "f";
            System.arraycopy(bad, 0, full, 2, bad.length);
            c.add(full);
            full = full.clone();
            full[0] = "BITFIELD_RO";
            c.add(full);
        }
        c.add(cmd("SADD", "set", "m"));
        c.add(cmd("BITFIELD", "set", "GET", "u8", "0"));
        c.add(cmd("BITFIELD", "set", "SET", "u8", "0", "1"));
        c.add(cmd("BITFIELD_RO", "set", "GET", "u8", "0"));
        c.add(cmd("BITFIELD"));
        c.add(cmd("BITFIELD_RO"));
        c.add(cmd("GET", "f"));
        c.add(cmd("SET", "t", "abc", "EX", "1000"));
        c.add(cmd("BITFIELD", "t", "SET", "u8", "100", "1"));
        c.add(cmd("TTL", "t"));
        c.add(cmd("GET", "t"));
        script(protocol, c.toArray(String[][]::new));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void commandInfo(int protocol) {
        script(protocol,
                cmd("COMMAND", "INFO", "setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"),
                cmd("COMMAND", "GETKEYS", "BITOP", "AND", "d", "a", "b"),
                cmd("COMMAND", "GETKEYS", "BITFIELD", "k", "GET", "u8", "0"),
                cmd("COMMAND", "GETKEYS", "SETBIT", "k", "0", "1"));
    }

    /**
     * Random streams of bit writes and string writes on a few keys, with reads after each write:
     * GET, STRLEN and the bit reads answer exactly what Redis answers.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void randomizedStreamsMatchRedisByteForByte(int seed) {
        Random random = new Random(seed);
        List<String[]> c = new ArrayList<>();
        String[] keys = {"r1", "r2", "r3"};
        for (int i = 0; i < 1500; i++) {
            String key = keys[random.nextInt(keys.length)];
            int range = random.nextInt(10) < 8 ? 200 : 5000;
            switch (random.nextInt(14)) {
                case 0, 1, 2, 3 -> c.add(cmd("SETBIT", key, Integer.toString(random.nextInt(range)),
                        Integer.toString(random.nextInt(2))));
                case 4, 5 -> {
                    String type = (random.nextBoolean() ? "u" : "i") + (1 + random.nextInt(random.nextBoolean() ? 63 : 16));
                    String op = random.nextBoolean() ? "SET" : "INCRBY";
                    String mode = new String[] {"WRAP", "SAT", "FAIL"}[random.nextInt(3)];
                    c.add(cmd("BITFIELD", key, "OVERFLOW", mode, op, type, Integer.toString(random.nextInt(range)),
                            Long.toString(random.nextLong() >> random.nextInt(64)), "GET", type,
                            "#" + random.nextInt(20)));
                }
                case 6 -> c.add(cmd("SETRANGE", key, Integer.toString(random.nextInt(40)), "x" + random.nextInt(1000)));
                case 7 -> c.add(cmd("APPEND", key, "ab" + random.nextInt(100)));
                case 8 -> c.add(random.nextInt(4) == 0 ? cmd("DEL", key) : cmd("SET", key, "v" + random.nextInt(1000)));
                case 9 -> c.add(cmd("BITCOUNT", key, Integer.toString(random.nextInt(50) - 25),
                        Integer.toString(random.nextInt(50) - 10), random.nextBoolean() ? "BIT" : "BYTE"));
                case 10 -> c.add(cmd("BITPOS", key, Integer.toString(random.nextInt(2)),
                        Integer.toString(random.nextInt(30) - 5)));
                case 11 -> c.add(cmd("BITOP", new String[] {"AND", "OR", "XOR"}[random.nextInt(3)], keys[random.nextInt(3)],
                        keys[random.nextInt(3)], keys[random.nextInt(3)]));
                case 12 -> c.add(cmd("GETBIT", key, Integer.toString(random.nextInt(range))));
                default -> c.add(cmd("INCR", key));
            }
            c.add(cmd("GET", key));
            c.add(cmd("STRLEN", key));
        }
        for (String key : keys) {
            c.add(cmd("GET", key));
            c.add(cmd("BITCOUNT", key));
        }
        script(2, c.toArray(String[][]::new));
    }
}
