package io.converge.bench.sidebyside;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The memory comparison: for each freshly started target in turn, measure it empty, load the
 * same keys with {@link KeyLoader}, and measure again. JVM processes get a full GC before each
 * measurement so that only live data counts.
 */
public final class MemoryRun {
    private final PrintWriter progress;

    /** Prints what it is doing to {@code progress}. */
    public MemoryRun(PrintWriter progress) {
        this.progress = progress;
    }

    /** Loads {@code keys} keys into each target (which should be empty) and measures. */
    public List<MemoryResult> run(List<RunningTarget> targets, int keys) {
        List<MemoryResult> results = new ArrayList<>();
        for (RunningTarget target : targets) {
            results.add(measure(target, keys));
        }
        return results;
    }

    private MemoryResult measure(RunningTarget target, int keys) {
        List<String> notes = new ArrayList<>();
        try {
            collectGarbage(target, notes);
            MemorySample empty = sample(target, notes);
            progress.printf("loading %,d keys into %s...%n", keys, target.name());
            progress.flush();
            KeyLoader.LoadResult load = KeyLoader.load(target.entryPoint(), keys);
            if (!load.isOk()) {
                return new MemoryResult(target.name(), keys, empty, null, OptionalLong.empty(), load.elapsed(), notes,
                        "loading stopped after " + load.sent() + " SETs: " + load.firstError());
            }
            progress.printf("  loaded in %.1f s (%,.0f SET/s)%n", load.elapsed().toMillis() / 1000.0,
                    keys / Math.max(0.001, load.elapsed().toNanos() / 1e9));
            progress.flush();
            collectGarbage(target, notes);
            MemorySample loaded = sample(target, notes);
            OptionalLong dbSize = dbSize(target);
            if (dbSize.isPresent() && dbSize.getAsLong() != keys) {
                notes.add(target.name() + ": DBSIZE is " + dbSize.getAsLong() + " after loading " + keys + " keys");
            }
            return new MemoryResult(target.name(), keys, empty, loaded, dbSize, load.elapsed(), notes, null);
        } catch (IOException e) {
            return new MemoryResult(target.name(), keys, null, null, OptionalLong.empty(), null, notes,
                    "memory measurement failed: " + e);
        }
    }

    private static void collectGarbage(RunningTarget target, List<String> notes) {
        for (ServerProcess process : target.processes()) {
            if (MemoryProbe.isJvm(process.pid())) {
                String problem = MemoryProbe.forceGc(process.pid());
                if (problem != null && notes.stream().noneMatch(n -> n.contains(problem))) {
                    notes.add(target.name() + ": GC not forced before measuring: " + problem);
                }
            }
        }
    }

    private static MemorySample sample(RunningTarget target, List<String> notes) throws IOException {
        long used = 0;
        long resident = 0;
        boolean usedKnown = true;
        boolean residentKnown = true;
        for (ServerProcess process : target.processes()) {
            OptionalLong processUsed = MemoryProbe.usedMemory(process);
            OptionalLong processResident = MemoryProbe.residentBytes(process.pid());
            usedKnown &= processUsed.isPresent();
            residentKnown &= processResident.isPresent();
            used += processUsed.orElse(0);
            resident += processResident.orElse(0);
        }
        if (!usedKnown) {
            String note = target.name() + ": INFO memory reports no used_memory; compare RSS only";
            if (!notes.contains(note)) {
                notes.add(note);
            }
        }
        return new MemorySample(usedKnown ? OptionalLong.of(used) : OptionalLong.empty(),
                residentKnown ? OptionalLong.of(resident) : OptionalLong.empty());
    }

    private static OptionalLong dbSize(RunningTarget target) throws IOException {
        return MemoryProbe.dbSize(target.entryPoint());
    }
}
