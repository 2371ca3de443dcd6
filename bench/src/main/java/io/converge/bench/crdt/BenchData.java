package io.converge.bench.crdt;

import io.converge.crdt.Hlc;
import io.converge.crdt.KeyState;
import io.converge.crdt.SetValue;
import io.converge.crdt.ZSetValue;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/** Shared inputs of the CRDT benchmarks: ~10-byte members and values, node ids, pre-filled keys. */
final class BenchData {

    /** The replica applying writes. */
    static final int LOCAL = 1;
    /** Another replica, whose deltas the local one merges. */
    static final int REMOTE = 2;
    /** Elements of the "large" hashes, sets and sorted sets. */
    static final int LARGE = 1000;
    /** A 10-byte string value. */
    static final byte[] VALUE = ascii("value-0042");

    private BenchData() {}

    /** A 10-byte member or field name, {@code member0042} (unique for i below 10 000). */
    static byte[] member(int i) {
        return ascii(String.format("member%04d", i));
    }

    /** {@code n} distinct members. */
    static byte[][] members(int n) {
        byte[][] m = new byte[n][];
        for (int i = 0; i < n; i++) {
            m[i] = member(i);
        }
        return m;
    }

    /** {@code n} pseudo-random scores in [0, 1e6), reproducible. */
    static double[] scores(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = Math.floor(r.nextDouble() * 1e8) / 100;
        }
        return s;
    }

    /** An HLC timestamp near the current time, the start of a benchmark's write stamps. */
    static long startHlc() {
        return Hlc.pack(System.currentTimeMillis(), 0);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A key holding a hash of {@code n} fields written by {@code LOCAL}; returns the next HLC. */
    static long fillHash(KeyState key, int n, long hlc) {
        for (int i = 0; i < n; i++) {
            key.hashForWrite().hset(member(i), VALUE, ++hlc, LOCAL);
        }
        return hlc;
    }

    /** A key holding a hash of {@code n} integer fields (each HINCRBY'd once); returns the next HLC. */
    static long fillHashCounters(KeyState key, int n, long hlc) {
        for (int i = 0; i < n; i++) {
            key.hashForWrite().hincrBy(member(i), 1, ++hlc, LOCAL);
        }
        return hlc;
    }

    /** A key holding a set of {@code n} members added by {@code LOCAL}; returns the next HLC. */
    static long fillSet(KeyState key, int n, long hlc) {
        SetValue s = key.setForWrite();
        for (int i = 0; i < n; i++) {
            s.add(member(i), ++hlc, LOCAL);
        }
        return hlc;
    }

    /** A key holding a sorted set of {@code n} members with random scores; returns the next HLC. */
    static long fillZSet(KeyState key, int n, long hlc) {
        ZSetValue z = key.zsetForWrite();
        double[] scores = scores(n, 7);
        for (int i = 0; i < n; i++) {
            z.add(member(i), scores[i], ++hlc, LOCAL);
        }
        return hlc;
    }
}
