package io.converge.bench.crdt;

import static io.converge.bench.crdt.BenchData.LARGE;
import static io.converge.bench.crdt.BenchData.LOCAL;

import io.converge.crdt.KeyState;
import io.converge.crdt.LexBound;
import io.converge.crdt.ScoredMemberConsumer;
import io.converge.crdt.ZSetIndex;
import io.converge.crdt.ZSetValue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Read queries on a 1k-member sorted set through its {@link ZSetIndex}: score and rank ranges
 * returning 10 members (ZRANGEBYSCORE ... LIMIT 0 10, ZRANGE r r+9), lex range over a
 * same-score set, and ZRANK. Start points cycle over the members.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ZSetQueryBenchmark {

    private static final int LIMIT = 10;

    private byte[][] members;
    private double[] scores;
    private LexBound[] lexBounds;
    private ZSetValue zset;
    private ZSetValue lexSet;
    private int cursor;
    private double sink;
    private final ScoredMemberConsumer collect = (member, score) -> sink += score + member.length;

    /** Builds the sorted sets: random scores, and all scores 0 for lex queries. */
    @Setup(Level.Trial)
    public void setUp() {
        members = BenchData.members(LARGE);
        scores = BenchData.scores(LARGE, 7);
        long hlc = BenchData.startHlc();
        KeyState k = new KeyState();
        BenchData.fillZSet(k, LARGE, hlc);
        zset = k.zset();
        lexSet = new ZSetValue();
        lexBounds = new LexBound[LARGE];
        for (int i = 0; i < LARGE; i++) {
            lexSet.add(members[i], 0, ++hlc, LOCAL);
            lexBounds[i] = LexBound.inclusive(members[i]);
        }
    }

    private int next() {
        int i = cursor + 1;
        if (i == LARGE) {
            i = 0;
        }
        cursor = i;
        return i;
    }

    /** ZRANGEBYSCORE key min +inf LIMIT 0 10. */
    @Benchmark
    public double rangeByScore() {
        ZSetIndex idx = zset.index();
        int from = idx.firstRankInScore(scores[next()], false);
        int to = Math.min(from + LIMIT, idx.endRankInScore(Double.POSITIVE_INFINITY, false));
        idx.forEachInRankRange(from, to, false, collect);
        return sink;
    }

    /** ZRANGE key r r+9. */
    @Benchmark
    public double rangeByRank() {
        ZSetIndex idx = zset.index();
        int from = next() % (LARGE - LIMIT);
        idx.forEachInRankRange(from, from + LIMIT, false, collect);
        return sink;
    }

    /** ZRANGEBYLEX key [member +  LIMIT 0 10 on a set whose scores are all 0. */
    @Benchmark
    public double rangeByLex() {
        ZSetIndex idx = lexSet.index();
        int from = idx.firstRankInLex(lexBounds[next()]);
        int to = Math.min(from + LIMIT, idx.endRankInLex(LexBound.MAX));
        idx.forEachInRankRange(from, to, false, collect);
        return sink;
    }

    /** ZRANK key member. */
    @Benchmark
    public int rank() {
        return zset.rank(members[next()]);
    }
}
