package io.converge.bench.crdt;

import io.converge.crdt.Bytes;
import io.converge.crdt.Hlc;
import io.converge.crdt.KeyState;
import io.converge.crdt.SetValue;
import io.converge.crdt.ZSetValue;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Heap bytes per entry of a keyspace held the way the embedded engine holds it (a hash map of
 * key bytes to {@link KeyState}), for 1M entries of each kind: small strings, counters, hash
 * fields, set members and sorted-set members. Measured as heap in use after full GCs, before
 * versus after filling, so it counts everything the keyspace retains (map nodes, key and value
 * arrays, CRDT metadata). "Metadata" is the total minus the payload (key and value bytes).
 *
 * <p>Rows marked "plain" hold the same bytes in plain Java collections ({@code HashMap<Bytes,
 * byte[]>}, a map of hash maps, a map of hash sets): what any Java store of byte strings pays, so
 * the difference to the CRDT row below each is what the CRDT adds.
 *
 * <pre>java -Xmx2g -cp bench/target/converge-bench.jar io.converge.bench.crdt.MemoryFootprint [entries]</pre>
 */
public final class MemoryFootprint {

    private static final int LOCAL = 1;
    private static final int COLLECTION_SIZE = 1000;

    private final int entries;
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private long hlc = Hlc.pack(System.currentTimeMillis(), 0);
    /** Keeps the structure under measurement reachable until the "after" reading. */
    private Object retained;
    /** Key and value bytes (for sorted sets also 8 per score) put in by the current scenario. */
    private long payload;

    private MemoryFootprint(int entries) {
        this.entries = entries;
    }

    /** Runs every scenario and prints a Markdown table. */
    public static void main(String[] args) throws InterruptedException {
        int entries = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        MemoryFootprint m = new MemoryFootprint(entries);
        System.out.printf(Locale.ROOT, "JVM %s %s, max heap %d MB, %d entries per row%n",
                System.getProperty("java.vm.name"), System.getProperty("java.vm.version"),
                Runtime.getRuntime().maxMemory() >> 20, entries);
        System.out.println();
        System.out.println("| keyspace | entries | payload B/entry | total B/entry | metadata B/entry |");
        System.out.println("|---|---:|---:|---:|---:|");
        m.run("plain HashMap<Bytes, byte[]> (no CRDT), 10 B key + 10 B value", m::plainStrings);
        m.run("string keys, 10 B key + 10 B value (SET)", m::strings);
        m.run("counter keys, 10 B key, one INCRBY (value 1..1000)", m::counters);
        m.run("plain HashMap<Bytes, HashMap<Bytes, byte[]>> (no CRDT), 1k x 1k fields", m::plainHashFields);
        m.run("hash fields: 1k hashes x 1k fields, 10 B field + 10 B value", m::hashFields);
        m.run("plain HashMap<Bytes, HashSet<Bytes>> (no CRDT), 1k x 1k members", m::plainSetMembers);
        m.run("set members: 1k sets x 1k members of 10 B", m::setMembers);
        m.run("sorted-set members: 1k zsets x 1k members of 10 B + 8 B score", m::zsetMembers);
    }

    private interface Filler {
        Object fill();
    }

    private void run(String name, Filler filler) throws InterruptedException {
        long before = usedAfterGc();
        payload = 0;
        retained = filler.fill();
        long after = usedAfterGc();
        retained = null;
        double total = (double) (after - before) / entries;
        double payloadPerEntry = (double) payload / entries;
        System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f |%n",
                name, entries, payloadPerEntry, total, total - payloadPerEntry);
    }

    private long usedAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /** A new 10-byte key, field or member, unique for i below 10^8 with the given prefix. */
    private byte[] name(char prefix, int i) {
        payload += 10;
        return String.format(Locale.ROOT, "%c:%08d", prefix, i).getBytes(StandardCharsets.US_ASCII);
    }

    /** A new 10-byte value. */
    private byte[] value(int i) {
        payload += 10;
        return String.format(Locale.ROOT, "v-%08d", i).getBytes(StandardCharsets.US_ASCII);
    }

    private Object plainStrings() {
        Map<Bytes, byte[]> map = new HashMap<>();
        for (int i = 0; i < entries; i++) {
            map.put(Bytes.wrap(name('k', i)), value(i));
        }
        return map;
    }

    private Object strings() {
        Map<Bytes, KeyState> map = new HashMap<>();
        for (int i = 0; i < entries; i++) {
            KeyState k = new KeyState();
            k.setString(value(i), 0, ++hlc, LOCAL);
            map.put(Bytes.wrap(name('k', i)), k);
        }
        return map;
    }

    private Object counters() {
        Map<Bytes, KeyState> map = new HashMap<>();
        for (int i = 0; i < entries; i++) {
            KeyState k = new KeyState();
            long by = 1 + i % 1000;
            k.incrBy(by, ++hlc, LOCAL);
            payload += Long.toString(by).length();
            map.put(Bytes.wrap(name('c', i)), k);
        }
        return map;
    }

    private Object plainHashFields() {
        Map<Bytes, Map<Bytes, byte[]>> map = new HashMap<>();
        int keys = entries / COLLECTION_SIZE;
        for (int i = 0; i < keys; i++) {
            Map<Bytes, byte[]> h = new HashMap<>();
            for (int f = 0; f < COLLECTION_SIZE; f++) {
                h.put(Bytes.wrap(name('f', f)), value(f));
            }
            map.put(Bytes.wrap(name('h', i)), h);
        }
        return map;
    }

    private Object plainSetMembers() {
        Map<Bytes, Set<Bytes>> map = new HashMap<>();
        int keys = entries / COLLECTION_SIZE;
        for (int i = 0; i < keys; i++) {
            Set<Bytes> s = new HashSet<>();
            for (int m = 0; m < COLLECTION_SIZE; m++) {
                s.add(Bytes.wrap(name('m', m)));
            }
            map.put(Bytes.wrap(name('s', i)), s);
        }
        return map;
    }

    private Object hashFields() {
        Map<Bytes, KeyState> map = new HashMap<>();
        int keys = entries / COLLECTION_SIZE;
        for (int i = 0; i < keys; i++) {
            KeyState k = new KeyState();
            for (int f = 0; f < COLLECTION_SIZE; f++) {
                k.hashForWrite().hset(name('f', f), value(f), ++hlc, LOCAL);
            }
            map.put(Bytes.wrap(name('h', i)), k);
        }
        return map;
    }

    private Object setMembers() {
        Map<Bytes, KeyState> map = new HashMap<>();
        int keys = entries / COLLECTION_SIZE;
        for (int i = 0; i < keys; i++) {
            KeyState k = new KeyState();
            SetValue s = k.setForWrite();
            for (int m = 0; m < COLLECTION_SIZE; m++) {
                s.add(name('m', m), ++hlc, LOCAL);
            }
            map.put(Bytes.wrap(name('s', i)), k);
        }
        return map;
    }

    private Object zsetMembers() {
        Map<Bytes, KeyState> map = new HashMap<>();
        int keys = entries / COLLECTION_SIZE;
        for (int i = 0; i < keys; i++) {
            KeyState k = new KeyState();
            ZSetValue z = k.zsetForWrite();
            for (int m = 0; m < COLLECTION_SIZE; m++) {
                z.add(name('m', m), m * 1.5, ++hlc, LOCAL);
                payload += Double.BYTES;
            }
            map.put(Bytes.wrap(name('z', i)), k);
        }
        return map;
    }
}
