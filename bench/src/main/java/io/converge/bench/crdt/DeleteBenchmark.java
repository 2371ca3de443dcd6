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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Key-level DEL ({@link KeyState#delete}): applying it locally (which builds the delta: the HLC
 * watermark plus, for a set, the observed causal context) and merging such a delta on another
 * replica. A delete consumes its key, so a batch of live keys (copies of one template) is
 * rebuilt before each invocation, untimed.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DeleteBenchmark {

    /** Keys deleted per invocation. */
    static final int BATCH = 64;

    /** What the deleted key holds: a 10-byte string, or a set of 1k members. */
    @Param({"string", "set1k"})
    public String kind;

    private final KeyState[] keys = new KeyState[BATCH];
    private final KeyState[] replicas = new KeyState[BATCH];
    private final KeyState[] deltas = new KeyState[BATCH];
    private KeyState template;
    private long hlc;

    /** Builds the template key. */
    @Setup(Level.Trial)
    public void setUp() {
        hlc = BenchData.startHlc();
        template = new KeyState();
        if (kind.equals("string")) {
            template.setString(VALUE, 0, ++hlc, LOCAL);
        } else {
            hlc = BenchData.fillSet(template, LARGE, hlc);
        }
    }

    /** Rebuilds the live keys, their replicas, and the deltas of deleting them remotely (untimed). */
    @Setup(Level.Invocation)
    public void rebuild() {
        for (int i = 0; i < BATCH; i++) {
            keys[i] = template.copy();
            replicas[i] = template.copy();
            deltas[i] = template.copy().delete(++hlc, REMOTE);
        }
    }

    /** DEL of a live key, producing its delta; time per key. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void apply(Blackhole bh) {
        long stamp = ++hlc;
        for (int i = 0; i < BATCH; i++) {
            bh.consume(keys[i].delete(stamp, LOCAL));
        }
    }

    /** Merging another replica's DEL delta into a live key; time per key. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void merge(Blackhole bh) {
        for (int i = 0; i < BATCH; i++) {
            replicas[i].merge(deltas[i]);
        }
        bh.consume(replicas);
    }

    /**
     * The untimed per-invocation rebuild alone: subtract its {@code gc.alloc.rate.norm} from the
     * other two benchmarks' (the GC profiler counts setup allocation too).
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void rebuildOnly(Blackhole bh) {
        bh.consume(keys);
    }
}
