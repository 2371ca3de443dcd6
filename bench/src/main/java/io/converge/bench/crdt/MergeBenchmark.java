package io.converge.bench.crdt;

import static io.converge.bench.crdt.BenchData.LARGE;
import static io.converge.bench.crdt.BenchData.LOCAL;
import static io.converge.bench.crdt.BenchData.REMOTE;
import static io.converge.bench.crdt.BenchData.VALUE;

import io.converge.crdt.KeyState;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Merging a write's key delta from another replica into the local state, as a replica does for
 * every replicated write ({@link KeyState#merge}). A remote "source" replica produces a batch of
 * {@value #BATCH} fresh deltas before each invocation (not timed); the timed part merges them, in
 * order, into the local "target", which therefore stays equal to the source. Hashes, sets and
 * sorted sets hold {@value BenchData#LARGE} elements; writes touch existing elements, cycling.
 * For {@code srem} and {@code zrem} the source alternates a remove and an add back of the same
 * member, so half of the deltas are removes. Allocation per merge is {@code merge} minus
 * {@code produceOnly} (see there).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MergeBenchmark {

    /** Deltas merged per timed invocation (large enough to hide the per-invocation overhead). */
    static final int BATCH = 1000;
    private static final byte[] FLOAT_INCREMENT = BenchData.ascii("0.25");

    /** The write whose deltas are merged. */
    @Param({"set", "incrby", "incrbyfloat", "hset", "hincrby", "sadd", "srem", "zadd", "zincrby", "zrem"})
    public String op;

    private final KeyState[] deltas = new KeyState[BATCH];
    private byte[][] members;
    private double[] scores;
    private int cursor;
    private int scoreCursor;
    private long hlc;
    private KeyState source;
    private KeyState target;

    /** Builds the source key for {@link #op} and a target equal to it. */
    @Setup(Level.Trial)
    public void setUp() {
        members = BenchData.members(LARGE);
        scores = BenchData.scores(4096, 13);
        hlc = BenchData.startHlc();
        source = new KeyState();
        switch (op) {
            case "set" -> source.setString(VALUE, 0, ++hlc, LOCAL);
            case "incrby" -> source.incrBy(1, ++hlc, LOCAL);
            case "incrbyfloat" -> source.incrByFloat(FLOAT_INCREMENT, ++hlc, LOCAL);
            case "hset" -> hlc = BenchData.fillHash(source, LARGE, hlc);
            case "hincrby" -> hlc = BenchData.fillHashCounters(source, LARGE, hlc);
            case "sadd", "srem" -> hlc = BenchData.fillSet(source, LARGE, hlc);
            case "zadd", "zincrby", "zrem" -> hlc = BenchData.fillZSet(source, LARGE, hlc);
            default -> throw new IllegalArgumentException("unknown op " + op);
        }
        target = source.copy();
    }

    /** Lets the source replica produce the next batch of deltas (not timed). */
    @Setup(Level.Invocation)
    public void produceDeltas() {
        for (int i = 0; i < BATCH; i++) {
            deltas[i] = write(i);
        }
    }

    private KeyState write(int i) {
        long stamp = ++hlc;
        return switch (op) {
            case "set" -> source.setString(VALUE, 0, stamp, REMOTE);
            case "incrby" -> source.incrBy(1, stamp, REMOTE);
            case "incrbyfloat" -> source.incrByFloat(FLOAT_INCREMENT, stamp, REMOTE);
            case "hset" -> KeyState.wrap(source.hashForWrite().hset(nextMember(), VALUE, stamp, REMOTE));
            case "hincrby" -> KeyState.wrap(source.hashForWrite().hincrBy(nextMember(), 1, stamp, REMOTE));
            case "sadd" -> KeyState.wrap(source.setForWrite().add(nextMember(), stamp, REMOTE));
            case "srem" -> (i & 1) == 0
                    ? KeyState.wrap(source.setForWrite().remove(nextMember(), stamp, REMOTE))
                    : KeyState.wrap(source.setForWrite().add(members[cursor], stamp, REMOTE));
            case "zadd" -> KeyState.wrap(source.zsetForWrite().add(nextMember(), nextScore(), stamp, REMOTE));
            case "zincrby" -> KeyState.wrap(source.zsetForWrite().incrBy(nextMember(), 1.5, stamp, REMOTE));
            case "zrem" -> (i & 1) == 0
                    ? KeyState.wrap(source.zsetForWrite().remove(nextMember(), stamp, REMOTE))
                    : KeyState.wrap(source.zsetForWrite().add(members[cursor], nextScore(), stamp, REMOTE));
            default -> throw new IllegalArgumentException("unknown op " + op);
        };
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

    /** Merges the batch of remote deltas into the local key; time per delta. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public KeyState merge() {
        KeyState t = target;
        KeyState[] ds = deltas;
        for (int i = 0; i < BATCH; i++) {
            t.merge(ds[i]);
        }
        return t;
    }

    /**
     * The untimed per-invocation work alone (the source producing its batch; nothing merged). Its
     * {@code gc.alloc.rate.norm} is the part of {@link #merge}'s that is not merging, because the
     * GC profiler counts everything the benchmark thread allocates, setup included.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public KeyState produceOnly() {
        return target;
    }
}
