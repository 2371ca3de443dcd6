package io.converge.bench.crdt;

import static io.converge.bench.crdt.BenchData.LARGE;
import static io.converge.bench.crdt.BenchData.LOCAL;
import static io.converge.bench.crdt.BenchData.VALUE;

import io.converge.crdt.CrdtCodec;
import io.converge.crdt.KeyState;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link CrdtCodec} encode and decode of key states and deltas: what every replicated write
 * (a delta), the delta log and snapshots (states) and full sync pay. States: a 10-byte string, a
 * counter, the delta of one HSET/SADD/ZADD, and hashes, sets and sorted sets of 10 and 1k
 * elements (10-byte fields, members and values).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CodecBenchmark {

    /** The key state encoded and decoded. */
    @Param({"string", "counter", "hset-delta", "hash10", "hash1k", "sadd-delta", "set10", "set1k",
            "zadd-delta", "zset10", "zset1k"})
    public String state;

    private KeyState key;
    private byte[] encoded;

    /** Builds the state and its encoding. */
    @Setup(Level.Trial)
    public void setUp() {
        key = build(state);
        encoded = CrdtCodec.encode(key);
    }

    /** The key state a {@link #state} parameter names. */
    public static KeyState build(String name) {
        long hlc = BenchData.startHlc();
        KeyState k = new KeyState();
        switch (name) {
            case "string" -> k.setString(VALUE, 0, ++hlc, LOCAL);
            case "counter" -> {
                k.incrBy(1, ++hlc, LOCAL);
                k.incrBy(41, ++hlc, LOCAL);
            }
            case "hset-delta" -> {
                hlc = BenchData.fillHash(k, 10, hlc);
                return KeyState.wrap(k.hashForWrite().hset(BenchData.member(3), VALUE, ++hlc, LOCAL));
            }
            case "hash10" -> BenchData.fillHash(k, 10, hlc);
            case "hash1k" -> BenchData.fillHash(k, LARGE, hlc);
            case "sadd-delta" -> {
                hlc = BenchData.fillSet(k, 10, hlc);
                return KeyState.wrap(k.setForWrite().add(BenchData.member(3), ++hlc, LOCAL));
            }
            case "set10" -> BenchData.fillSet(k, 10, hlc);
            case "set1k" -> BenchData.fillSet(k, LARGE, hlc);
            case "zadd-delta" -> {
                hlc = BenchData.fillZSet(k, 10, hlc);
                return KeyState.wrap(k.zsetForWrite().add(BenchData.member(3), 12.5, ++hlc, LOCAL));
            }
            case "zset10" -> BenchData.fillZSet(k, 10, hlc);
            case "zset1k" -> BenchData.fillZSet(k, LARGE, hlc);
            default -> throw new IllegalArgumentException("unknown state " + name);
        }
        return k;
    }

    /** Encodes the state to a new byte array. */
    @Benchmark
    public byte[] encode() {
        return CrdtCodec.encode(key);
    }

    /** Decodes the state (validating it, as for hostile input). */
    @Benchmark
    public KeyState decode() {
        return CrdtCodec.decode(encoded);
    }
}
