package io.converge.crdt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test support for {@link LegacyEncodingTest}: key states whose encodings were saved as fixtures
 * by the build in which replica ids were {@code int}s (commit 5bb471f), so later builds prove they
 * still read logs and snapshots written then.
 *
 * <p>{@link #handBuilt()} builds named states through the public API, touching every place a
 * replica id is encoded (stamps, counter contributions and their tags, hash floors, expiry and
 * delete records, version vectors, dot clouds, set dots, score records), with ids at varint
 * boundaries and the purge watermark's negative node. Its source compiles against both the int
 * and the long API (int literals widen), so the fixture test rebuilds the very same states.
 * {@link #corpus()} adds states of random histories ({@link KeySim}), checked by round trip only.
 *
 * <p>{@link #main} wrote {@code legacy-encodings-v1.txt}. Do not regenerate it with a newer build:
 * that would test the new encoder against itself. Add a new file for a new format instead.
 */
final class LegacyEncodings {

    static final String RESOURCE = "/legacy-encodings-v1.txt";
    static final long T = 1_700_000_000_000L;

    private LegacyEncodings() {}

    static long hlc(long ms, int logical) {
        return Hlc.pack(T + ms, logical);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The named states; the same names as in the fixture file. */
    static Map<String, KeyState> handBuilt() {
        Map<String, KeyState> m = new LinkedHashMap<>();
        // Inline strings stamped by ids at the one-, two-, three- and five-byte varint boundaries.
        int[] ids = {0, 1, 127, 128, 16_383, 16_384, 65_535, 2_097_152, Integer.MAX_VALUE};
        for (int id : ids) {
            KeyState k = new KeyState();
            k.setString(b("v" + id), 0, hlc(1, 0), id);
            m.put("inline-" + id, k);
        }

        // A counter: a base, then integer and float contributions of several replicas.
        KeyState counter = new KeyState();
        counter.setString(b("10"), 0, hlc(1, 0), 1);
        KeyState c2 = counter.copy();
        KeyState c3 = counter.copy();
        counter.merge(c2.incrBy(5, hlc(2, 0), 2));
        counter.merge(c3.incrBy(-3, hlc(2, 1), 300));
        counter.merge(c3.incrByFloat(b("0.5"), hlc(3, 0), 300));
        counter.merge(new KeyState().incrByFloat(b("1.25"), hlc(2, 2), 65_535));
        m.put("counter", counter);

        // A hash: fields, a field tombstone, counter fields.
        KeyState hash = new KeyState();
        hash.merge(KeyState.wrap(hash.hashForWrite().hset(b("f1"), b("a"), hlc(1, 0), 1)));
        hash.merge(KeyState.wrap(hash.hashForWrite().hset(b("f2"), b("b"), hlc(1, 1), 2)));
        hash.merge(KeyState.wrap(hash.hashForWrite().hdel(b("f1"), hlc(2, 0), 3)));
        hash.merge(KeyState.wrap(hash.hashForWrite().hincrBy(b("f3"), 7, hlc(3, 0), 4)));
        hash.merge(KeyState.wrap(hash.hashForWrite().hincrByFloat(b("f3"), b("0.5"), hlc(4, 0), 70_000)));
        m.put("hash", hash);

        // Sets: concurrent adds of one member (several dots), a remove, a delta beyond a gap.
        KeyState s1 = new KeyState();
        KeyState s2 = new KeyState();
        KeyState a1 = KeyState.wrap(s1.setForWrite().add(b("m"), hlc(1, 0), 1));
        KeyState a2 = KeyState.wrap(s2.setForWrite().add(b("m"), hlc(1, 0), 200));
        KeyState a3 = KeyState.wrap(s2.setForWrite().add(b("n"), hlc(2, 0), 200));
        KeyState a4 = KeyState.wrap(s2.setForWrite().add(b("o"), hlc(3, 0), 200));
        m.put("set-delta", a4.copy());
        KeyState gap = s1.copy();
        gap.merge(a4); // 200:3 seen without 200:1..2: a cloud run
        m.put("set-cloud", gap);
        s1.merge(a2);
        s1.merge(a3);
        s1.merge(a4);
        s2.merge(a1);
        KeyState rem = KeyState.wrap(s2.setForWrite().remove(b("n"), hlc(4, 0), 65_535));
        s1.merge(rem);
        m.put("set-remove-delta", rem);
        m.put("set", s1);

        // Sorted sets: a base, concurrent increments on it (contribution records), a remove.
        KeyState z1 = new KeyState();
        KeyState add = KeyState.wrap(z1.zsetForWrite().add(b("m"), 1.5, hlc(1, 0), 1));
        z1.merge(KeyState.wrap(z1.zsetForWrite().add(b("n"), -2, hlc(1, 1), 1)));
        KeyState z2 = z1.copy();
        KeyState z3 = z1.copy();
        KeyState i2 = KeyState.wrap(z2.zsetForWrite().incrBy(b("m"), 2, hlc(2, 0), 2));
        KeyState i3 = KeyState.wrap(z3.zsetForWrite().incrBy(b("m"), 4, hlc(2, 0), 129));
        KeyState zr = KeyState.wrap(z3.zsetForWrite().remove(b("n"), hlc(3, 0), 129));
        z1.merge(i2);
        z1.merge(i3);
        z1.merge(zr);
        m.put("zset", z1);
        m.put("zset-add-delta", add);
        m.put("zset-incr-delta", i3);
        m.put("zset-remove-delta", zr);
        KeyState noBase = new KeyState();
        noBase.merge(KeyState.wrap(noBase.zsetForWrite().incrBy(b("x"), 3, hlc(1, 0), 5)));
        m.put("zset-no-base", noBase);

        // The envelope: expiry, a delete with set context, a re-created set.
        KeyState env = new KeyState();
        env.merge(KeyState.wrap(env.setForWrite().add(b("a"), hlc(1, 0), 5)));
        env.expire(T + 10_000, hlc(2, 0), 5);
        env.delete(hlc(3, 0), 6);
        env.merge(KeyState.wrap(env.setForWrite().add(b("b"), hlc(4, 0), 7)));
        env.expire(T + 20_000, hlc(5, 0), 8);
        m.put("envelope", env);
        KeyState zdel = z1.copy();
        zdel.delete(hlc(9, 0), 9);
        m.put("zset-deleted", zdel);

        // A type clash: SET here, SADD there, concurrently.
        KeyState t1 = new KeyState();
        KeyState t2 = new KeyState();
        KeyState ts = t1.setString(b("s"), 0, hlc(1, 0), 1);
        KeyState ta = KeyState.wrap(t2.setForWrite().add(b("e"), hlc(1, 0), 2));
        t1.merge(ta);
        t2.merge(ts);
        m.put("type-clash", t1);

        // Purges: the watermark's node is below every replica id (the int build used
        // Integer.MIN_VALUE, a five-byte varint); it reaches string tombstones, counter tags and
        // hash floors through writes made after the purge.
        KeyState ps = new KeyState();
        ps.setString(b("5"), T + 100, hlc(1, 0), 1);
        ps.merge(ps.incrBy(2, hlc(2, 0), 2));
        KeyState purge = ps.purgeExpired(T + 101);
        m.put("purge-delta", purge);
        m.put("purged", ps.copy());
        ps.merge(ps.incrBy(3, hlc(200, 0), 3)); // tagged with the watermark
        m.put("purged-then-incr", ps);

        KeyState ph = new KeyState();
        ph.merge(KeyState.wrap(ph.hashForWrite().hset(b("f"), b("v"), hlc(1, 0), 1)));
        ph.expire(T + 100, hlc(2, 0), 1);
        ph.purgeExpired(T + 200);
        ph.merge(KeyState.wrap(ph.hashForWrite().hset(b("g"), b("w"), hlc(300, 0), 2))); // floor at the watermark
        ph.merge(KeyState.wrap(ph.hashForWrite().hincrBy(b("h"), 4, hlc(301, 0), 3))); // field tombstone at it
        m.put("purged-hash", ph);

        // A purge whose expiry record is stamped after the expiry instant: watermark expHlc + 1.
        KeyState late = new KeyState();
        late.setString(b("x"), 0, hlc(1, 0), 1);
        late.expire(T + 50, hlc(100, 0), 2);
        m.put("late-purge-delta", late.purgeExpired(T + 150));
        m.put("late-purged", late);

        // Collected: the purge watermark gone again.
        KeyState collected = ph.copy();
        collected.gc(hlc(250, 0));
        m.put("purged-hash-collected", collected);
        return m;
    }

    /** States and deltas of random histories on three replicas, every kind of write. */
    static List<KeyState> corpus() {
        List<KeyState> out = new ArrayList<>();
        for (long seed = 1; seed <= 40; seed++) {
            KeySim sim = new KeySim(seed, 3, KeyStateProperties.ALL);
            for (int step = 0; step < 60; step++) {
                int choice = sim.random.nextInt(10);
                if (choice < 5) {
                    KeyState d = sim.write(sim.random.nextInt(3));
                    if (d != null && sim.random.nextInt(4) == 0) {
                        out.add(d.copy());
                    }
                } else if (choice < 8) {
                    sim.deliverOne(false);
                } else {
                    sim.time += sim.random.nextInt(60);
                }
            }
            for (KeyState s : sim.states) {
                out.add(s.copy());
            }
        }
        return out;
    }

    /** Writes the fixture file (run once, by the int-id build): {@code name hex} lines. */
    public static void main(String[] args) throws IOException {
        HexFormat hex = HexFormat.of();
        StringBuilder sb = new StringBuilder();
        sb.append("# Key-state encodings written by the build with int replica ids (5bb471f): name hex.\n");
        sb.append("# Generated by LegacyEncodings.main; never regenerate (see its class comment).\n");
        for (Map.Entry<String, KeyState> e : handBuilt().entrySet()) {
            sb.append(e.getKey()).append(' ').append(hex.formatHex(CrdtCodec.encode(e.getValue()))).append('\n');
        }
        List<KeyState> corpus = corpus();
        for (int i = 0; i < corpus.size(); i++) {
            sb.append("sim-").append(i).append(' ').append(hex.formatHex(CrdtCodec.encode(corpus.get(i)))).append('\n');
        }
        Files.writeString(Path.of(args[0]), sb.toString());
    }
}
