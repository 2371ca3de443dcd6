package io.converge.server.command.data;

import io.converge.server.testing.DifferentialTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A randomized differential test: a fixed-seed stream of a few hundred sorted-set commands
 * (ZADD with random options, ZINCRBY, ZREM, pops, rank/score/lex ranges with REV, LIMIT and
 * WITHSCORES, counts, removals by range, ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE, ZUNION/ZINTER/ZDIFF
 * with and without WITHSCORES, ZINTERCARD with and without LIMIT) on a handful of keys, every
 * reply compared with redis-server's, to shake out off-by-one errors at rank and range edges.
 *
 * <p>Scores and increments are small dyadic numbers (k/4) and infinities, so every sum is exact
 * and the order in which a replica adds increments cannot change a result. Lex queries run only
 * on a key whose members all share score 0, where Redis defines them.
 */
class SortedSetRandomizedTest extends DifferentialTestBase {

    private static final long SEED = 0x5eed_25e7L;
    private static final int OPERATIONS = 600;
    private static final String[] SCORES = {"0", "1", "2", "3", "-1", "-2", "0.5", "1.25", "-0.75", "2.5", "10",
        "inf", "-inf", "7", "4"};
    private static final String[] BOUNDS = {"-inf", "+inf", "0", "1", "2", "(1", "(2", "-1", "(0", "2.5", "(2.5",
        "10", "(inf", "(-inf", "3", "0.5"};
    private static final String[] WEIGHTS = {"1", "2", "0.5", "-1", "0", "3"};

    private Random random;
    private String prefix;

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void randomOperationsMatchRedis(int protocol) {
        random = new Random(SEED + protocol);
        prefix = "rnd:" + protocol + ":";
        try (ZSetTwins t = new ZSetTwins(redis, converge, protocol)) {
            for (int i = 0; i < OPERATIONS; i++) {
                t.check(nextCommand());
            }
            for (int k = 0; k < 4; k++) {
                t.check("ZRANGE", key(k), "0", "-1", "WITHSCORES");
            }
            t.check("ZRANGE", lexKey(), "0", "-1", "WITHSCORES");
        }
    }

    private String[] nextCommand() {
        String k = key(random.nextInt(4));
        int op = random.nextInt(32);
        return switch (op) {
            case 0, 1, 2, 3, 4, 5, 6 -> zadd(k);
            case 7, 8 -> new String[] {"ZINCRBY", k, pick(SCORES), member()};
            case 9 -> withMembers(new String[] {"ZREM", k}, 1 + random.nextInt(2));
            case 10 -> new String[] {random.nextBoolean() ? "ZPOPMIN" : "ZPOPMAX", k, Integer.toString(random.nextInt(3))};
            case 11, 12 -> rankRange(k);
            case 13, 14, 15 -> scoreRange(k);
            case 16 -> new String[] {"ZCOUNT", k, pick(BOUNDS), pick(BOUNDS)};
            case 17 -> new String[] {random.nextBoolean() ? "ZRANK" : "ZREVRANK", k, member()};
            case 18 -> withMembers(new String[] {"ZMSCORE", k}, 1 + random.nextInt(3));
            case 19 -> new String[] {"ZCARD", k};
            case 20 -> random.nextBoolean() ? new String[] {"ZREMRANGEBYRANK", k, index(), index()}
                    : new String[] {"ZSCORE", k, member()};
            case 21 -> random.nextBoolean() ? new String[] {"ZREMRANGEBYSCORE", k, pick(BOUNDS), pick(BOUNDS)}
                    : new String[] {"ZSCORE", k, member()};
            case 22 -> random.nextBoolean() ? store() : new String[] {"ZCARD", k};
            case 23, 24 -> new String[] {"ZADD", lexKey(), "0", member()};
            case 25, 26 -> lexRange();
            case 27 -> new String[] {"ZLEXCOUNT", lexKey(), lexBound(), lexBound()};
            case 28 -> random.nextInt(4) == 0 ? new String[] {"ZREMRANGEBYLEX", lexKey(), lexBound(), lexBound()}
                    : new String[] {"ZSCORE", k, member()};
            case 29, 30 -> algebra();
            default -> new String[] {"ZRANGE", k, "0", "-1", "WITHSCORES"};
        };
    }

    private String[] zadd(String k) {
        List<String> cmd = new ArrayList<>(List.of("ZADD", k));
        String[] options = {"NX", "XX", "GT", "LT", "CH", "INCR"};
        for (String o : options) {
            if (random.nextInt(6) == 0) {
                cmd.add(o);
            }
        }
        int pairs = cmd.contains("INCR") ? 1 : 1 + random.nextInt(5);
        for (int i = 0; i < pairs; i++) {
            cmd.add(pick(SCORES));
            cmd.add(member());
        }
        return cmd.toArray(new String[0]);
    }

    private String[] rankRange(String k) {
        List<String> cmd = new ArrayList<>();
        if (random.nextBoolean()) {
            cmd.addAll(List.of("ZRANGE", k, index(), index()));
            if (random.nextBoolean()) {
                cmd.add("REV");
            }
        } else {
            cmd.addAll(List.of("ZREVRANGE", k, index(), index()));
        }
        if (random.nextBoolean()) {
            cmd.add("WITHSCORES");
        }
        return cmd.toArray(new String[0]);
    }

    private String[] scoreRange(String k) {
        List<String> cmd = new ArrayList<>();
        String lo = pick(BOUNDS);
        String hi = pick(BOUNDS);
        switch (random.nextInt(3)) {
            case 0 -> cmd.addAll(List.of("ZRANGEBYSCORE", k, lo, hi));
            case 1 -> cmd.addAll(List.of("ZREVRANGEBYSCORE", k, hi, lo));
            default -> {
                boolean rev = random.nextBoolean();
                cmd.addAll(List.of("ZRANGE", k, rev ? hi : lo, rev ? lo : hi, "BYSCORE"));
                if (rev) {
                    cmd.add("REV");
                }
            }
        }
        if (random.nextBoolean()) {
            cmd.add("WITHSCORES");
        }
        if (random.nextBoolean()) {
            cmd.addAll(List.of("LIMIT", Integer.toString(random.nextInt(10) - 1), Integer.toString(random.nextInt(8) - 2)));
        }
        return cmd.toArray(new String[0]);
    }

    private String[] lexRange() {
        List<String> cmd = new ArrayList<>();
        String lo = lexBound();
        String hi = lexBound();
        switch (random.nextInt(3)) {
            case 0 -> cmd.addAll(List.of("ZRANGEBYLEX", lexKey(), lo, hi));
            case 1 -> cmd.addAll(List.of("ZREVRANGEBYLEX", lexKey(), hi, lo));
            default -> {
                cmd.addAll(List.of("ZRANGE", lexKey(), hi, lo, "BYLEX", "REV"));
            }
        }
        if (random.nextBoolean()) {
            cmd.addAll(List.of("LIMIT", Integer.toString(random.nextInt(10) - 1), Integer.toString(random.nextInt(8) - 2)));
        }
        return cmd.toArray(new String[0]);
    }

    private String[] store() {
        List<String> cmd = new ArrayList<>();
        String name = pick(new String[] {"ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"});
        cmd.add(name);
        cmd.add(key(random.nextInt(4)));
        addInputs(cmd);
        if (!name.equals("ZDIFFSTORE")) {
            addWeightsAndAggregate(cmd);
        }
        return cmd.toArray(new String[0]);
    }

    /** ZUNION, ZINTER or ZDIFF (WITHSCORES or not), or ZINTERCARD (LIMIT or not) over random inputs. */
    private String[] algebra() {
        List<String> cmd = new ArrayList<>();
        String name = pick(new String[] {"ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD"});
        cmd.add(name);
        addInputs(cmd);
        switch (name) {
            case "ZINTERCARD" -> {
                if (random.nextBoolean()) {
                    cmd.addAll(List.of("LIMIT", Integer.toString(random.nextInt(5))));
                }
            }
            case "ZDIFF" -> {
                if (random.nextBoolean()) {
                    cmd.add("WITHSCORES");
                }
            }
            default -> {
                addWeightsAndAggregate(cmd);
                if (random.nextBoolean()) {
                    cmd.add("WITHSCORES");
                }
            }
        }
        return cmd.toArray(new String[0]);
    }

    /** numkeys and 1 to 3 input keys. */
    private void addInputs(List<String> cmd) {
        int n = 1 + random.nextInt(3);
        cmd.add(Integer.toString(n));
        for (int i = 0; i < n; i++) {
            cmd.add(key(random.nextInt(5))); // key 4 never holds anything: a missing input
        }
    }

    /** Maybe WEIGHTS (one per input key already in {@code cmd}), maybe AGGREGATE. */
    private void addWeightsAndAggregate(List<String> cmd) {
        int n = Integer.parseInt(cmd.get(cmd.get(0).endsWith("STORE") ? 2 : 1));
        if (random.nextBoolean()) {
            cmd.add("WEIGHTS");
            for (int i = 0; i < n; i++) {
                cmd.add(pick(WEIGHTS));
            }
        }
        if (random.nextBoolean()) {
            cmd.add("AGGREGATE");
            cmd.add(pick(new String[] {"SUM", "MIN", "MAX"}));
        }
    }

    private String[] withMembers(String[] head, int count) {
        String[] cmd = new String[head.length + count];
        System.arraycopy(head, 0, cmd, 0, head.length);
        for (int i = 0; i < count; i++) {
            cmd[head.length + i] = member();
        }
        return cmd;
    }

    private String key(int i) {
        return prefix + "k" + i;
    }

    private String lexKey() {
        return prefix + "lex";
    }

    private String member() {
        return "m" + random.nextInt(16);
    }

    private String index() {
        return Integer.toString(random.nextInt(25) - 12);
    }

    private String lexBound() {
        return switch (random.nextInt(6)) {
            case 0 -> "-";
            case 1 -> "+";
            case 2, 3 -> "[" + member();
            default -> "(" + member();
        };
    }

    private String pick(String[] values) {
        return values[random.nextInt(values.length)];
    }
}
