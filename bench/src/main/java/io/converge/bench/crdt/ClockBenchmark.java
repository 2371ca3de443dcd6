package io.converge.bench.crdt;

import io.converge.crdt.Hlc;
import io.converge.crdt.HybridLogicalClock;
import io.converge.crdt.PhysicalClock;
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

/** The hybrid logical clock on the system wall clock: stamping a local write, and a receive. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ClockBenchmark {

    private HybridLogicalClock clock;
    private long remote;

    /** A clock over {@link PhysicalClock#SYSTEM}. */
    @Setup(Level.Trial)
    public void setUp() {
        clock = new HybridLogicalClock(PhysicalClock.SYSTEM);
        remote = Hlc.pack(System.currentTimeMillis(), 0);
    }

    /** {@link System#currentTimeMillis()} alone: the physical clock read inside every stamp. */
    @Benchmark
    public long systemMillis() {
        return System.currentTimeMillis();
    }

    /** {@link HybridLogicalClock#now()}: one stamp for a local write. */
    @Benchmark
    public long now() {
        return clock.now();
    }

    /** {@link HybridLogicalClock#receive}: the receive rule for a timestamp from a peer. */
    @Benchmark
    public long receive() {
        return clock.receive(remote);
    }
}
