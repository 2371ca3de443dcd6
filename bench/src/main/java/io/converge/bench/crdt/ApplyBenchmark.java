package io.converge.bench.crdt;

import static io.converge.bench.crdt.BenchData.LARGE;
import static io.converge.bench.crdt.BenchData.LOCAL;
import static io.converge.bench.crdt.BenchData.VALUE;

import io.converge.crdt.KeyState;
import io.converge.crdt.SetValue;
import io.converge.crdt.ZSetValue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Applying one write to a key and producing the key delta to replicate, as the store does per
 * command: the mutator plus {@link KeyState#wrap} where the API needs it. Strings and counters
 * are single keys; hashes, sets and sorted sets hold {@value BenchData#LARGE} elements and every
 * write touches an existing element (cycling through all of them), so the size stays constant.
 * Stamps come from a plain counter; {@link ClockBenchmark} measures the clock itself.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ApplyBenchmark {

    private static final byte[] FLOAT_INCREMENT = BenchData.ascii("0.25");

    private byte[][] members;
    private double[] scores;
    private int cursor;
    private int scoreCursor;
    private long hlc;

    private KeyState string;
    private KeyState counter;
    private KeyState floatCounter;
    private KeyState hash;
    private KeyState counterHash;
    private KeyState set;
    private KeyState zset;

    /** Builds one key of each kind. */
    @Setup(Level.Trial)
    public void setUp() {
        members = BenchData.members(LARGE);
        scores = BenchData.scores(4096, 11);
        hlc = BenchData.startHlc();
        string = new KeyState();
        string.setString(VALUE, 0, ++hlc, LOCAL);
        counter = new KeyState();
        counter.incrBy(1, ++hlc, LOCAL);
        floatCounter = new KeyState();
        floatCounter.incrByFloat(FLOAT_INCREMENT, ++hlc, LOCAL);
        hash = new KeyState();
        hlc = BenchData.fillHash(hash, LARGE, hlc);
        counterHash = new KeyState();
        hlc = BenchData.fillHashCounters(counterHash, LARGE, hlc);
        set = new KeyState();
        hlc = BenchData.fillSet(set, LARGE, hlc);
        zset = new KeyState();
        hlc = BenchData.fillZSet(zset, LARGE, hlc);
    }

    private byte[] nextMember() {
        int i = cursor + 1;
        if (i == LARGE) {
            i = 0;
        }
        cursor = i;
        return members[i];
    }

    private double nextScore() {
        return scores[scoreCursor++ & 4095];
    }

    /** SET of a 10-byte value over a 10-byte value. */
    @Benchmark
    public KeyState stringSet() {
        return string.setString(VALUE, 0, ++hlc, LOCAL);
    }

    /** INCRBY 1 on a counter this replica keeps incrementing. */
    @Benchmark
    public KeyState counterIncrBy() {
        return counter.incrBy(1, ++hlc, LOCAL);
    }

    /** INCRBYFLOAT 0.25 (exact decimal arithmetic and Redis's rendering). */
    @Benchmark
    public KeyState counterIncrByFloat() {
        return floatCounter.incrByFloat(FLOAT_INCREMENT, ++hlc, LOCAL);
    }

    /** HSET of an existing field of a 1k-field hash. */
    @Benchmark
    public KeyState hashHset() {
        return KeyState.wrap(hash.hashForWrite().hset(nextMember(), VALUE, ++hlc, LOCAL));
    }

    /** HINCRBY 1 on a field of a 1k-field hash of counters. */
    @Benchmark
    public KeyState hashHincrBy() {
        return KeyState.wrap(counterHash.hashForWrite().hincrBy(nextMember(), 1, ++hlc, LOCAL));
    }

    /** SADD of a member already in a 1k-member set (a new dot replaces the old one). */
    @Benchmark
    public KeyState setSadd() {
        return KeyState.wrap(set.setForWrite().add(nextMember(), ++hlc, LOCAL));
    }

    /** SREM of a member of a 1k-member set, then SADD of it back; time per operation. */
    @Benchmark
    @OperationsPerInvocation(2)
    public void setSremSadd(Blackhole bh) {
        byte[] m = nextMember();
        SetValue s = set.setForWrite();
        bh.consume(KeyState.wrap(s.remove(m, ++hlc, LOCAL)));
        bh.consume(KeyState.wrap(s.add(m, ++hlc, LOCAL)));
    }

    /** ZADD of a new random score to a member of a 1k-member sorted set (moves it in the index). */
    @Benchmark
    public KeyState zsetZadd() {
        byte[] m = nextMember();
        return KeyState.wrap(zset.zsetForWrite().add(m, nextScore(), ++hlc, LOCAL));
    }

    /** ZINCRBY 1.5 on a member of a 1k-member sorted set. */
    @Benchmark
    public KeyState zsetZincrBy() {
        return KeyState.wrap(zset.zsetForWrite().incrBy(nextMember(), 1.5, ++hlc, LOCAL));
    }

    /** ZREM of a member of a 1k-member sorted set, then ZADD of it back; time per operation. */
    @Benchmark
    @OperationsPerInvocation(2)
    public void zsetZremZadd(Blackhole bh) {
        byte[] m = nextMember();
        ZSetValue z = zset.zsetForWrite();
        bh.consume(KeyState.wrap(z.remove(m, ++hlc, LOCAL)));
        bh.consume(KeyState.wrap(z.add(m, nextScore(), ++hlc, LOCAL)));
    }
}
