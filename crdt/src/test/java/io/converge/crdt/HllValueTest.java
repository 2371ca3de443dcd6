package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The HyperLogLog against facts taken from redis-server 7.0.15 (registers, counts, a sparse
 * string it wrote), Redis's string encodings, and the named conflict cases at the level of whole
 * keys: a DEL concurrent with PFADDs, and PFADDs after a DEL on replicas that collected it.
 */
class HllValueTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[][] elements(String prefix, int n) {
        byte[][] out = new byte[n][];
        for (int i = 0; i < n; i++) {
            out[i] = b(prefix + i);
        }
        return out;
    }

    private static long countOf(byte[][] elements) {
        HllValue h = new HllValue();
        h.add(elements, 0, elements.length, 10, 1);
        return h.count();
    }

    // ------------------------------------------------------------------ Redis's algorithm

    @Test
    void elementsSetTheRegistersRedisSets() {
        // redis-server: PFADD k a; PFDEBUG GETREG k -> register 12711 holds 2, every other 0
        assertThat(RedisHll.registerOf(b("a"))).isEqualTo(12711 << 8 | 2);
        // PFADD k a b c -> registers 8436=1, 12711=2, 15780=1
        HllValue h = new HllValue();
        h.add(new byte[][] {b("a"), b("b"), b("c")}, 0, 3, 10, 1);
        byte[] registers = h.registers();
        int set = 0;
        for (byte r : registers) {
            set += r != 0 ? 1 : 0;
        }
        assertThat(set).isEqualTo(3);
        assertThat(registers[8436]).isEqualTo((byte) 1);
        assertThat(registers[12711]).isEqualTo((byte) 2);
        assertThat(registers[15780]).isEqualTo((byte) 1);
        assertThat(h.count()).isEqualTo(3);
    }

    @Test
    void countsEqualRedisServersForTheSameElements() {
        // redis-server 7.0.15: PFADD k e0 e1 ... e(n-1); PFCOUNT k
        long[][] facts = {{0, 0}, {1, 1}, {10, 10}, {500, 506}, {1000, 1008}, {2000, 2000}, {5000, 4968},
                {10000, 9973}, {50000, 49978}, {100000, 100853}};
        for (long[] fact : facts) {
            assertThat(countOf(elements("e", (int) fact[0]))).as("%d elements", fact[0]).isEqualTo(fact[1]);
        }
    }

    @Test
    void aSparseStringRedisWroteReadsAsItsRegisters() {
        // redis-server: PFADD k a b c; GET k
        byte[] sparse = HexFormat.of().parseHex("48594c4c01000000000000000000008060f38050b1844bfb80425a");
        RedisHll.Parsed p = RedisHll.parse(sparse);
        assertThat(p).isNotNull();
        assertThat(p.corrupt()).isFalse();
        assertThat(p.cached()).isEqualTo(-1);
        HllValue h = new HllValue();
        h.add(new byte[][] {b("a"), b("b"), b("c")}, 0, 3, 10, 1);
        assertThat(p.registers()).isEqualTo(h.registers());
        assertThat(RedisHll.count(p.registers())).isEqualTo(3);
    }

    @Test
    void theDenseStringRoundTripsAndIsRedissLayout() {
        HllValue h = new HllValue();
        h.add(elements("d", 20000), 0, 20000, 10, 1);
        byte[] s = h.toRedisString();
        assertThat(s).hasSize(RedisHll.DENSE_SIZE);
        assertThat(new String(s, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("HYLL");
        assertThat(s[4]).isEqualTo((byte) 0); // dense
        assertThat(s[15] & 0x80).isEqualTo(0x80); // cached cardinality marked stale
        RedisHll.Parsed p = RedisHll.parse(s);
        assertThat(p.registers()).isEqualTo(h.registers());
        assertThat(p.cached()).isEqualTo(-1);
        // register 1 sits in the top 2 bits of byte 0 and the low 4 bits of byte 1
        byte[] one = new byte[RedisHll.REGISTERS];
        one[1] = 0b101101;
        byte[] dense = RedisHll.denseString(one);
        assertThat(dense[16] & 0xFF).isEqualTo(0b01000000);
        assertThat(dense[17] & 0xFF).isEqualTo(0b00001011);
    }

    @Test
    void stringsThatAreNotHllsOrCorruptAreTold() {
        assertThat(RedisHll.parse(b("hello"))).isNull();
        assertThat(RedisHll.parse(b("HYLL\u0002\0\0\0\0\0\0\0\0\0\0\0"))).isNull(); // unknown encoding
        assertThat(RedisHll.parse(b("HYLL\0\0\0\0\0\0\0\0\0\0\0\0"))).isNull(); // dense of the wrong length
        byte[] header = "HYLL\u0001\0\0\0\0\0\0\0\0\0\0\u0080".getBytes(StandardCharsets.ISO_8859_1);
        // sparse: no opcode at all covers 0 registers
        assertThat(RedisHll.parse(header).corrupt()).isTrue();
        // XZERO:16384 is the empty HLL
        byte[] empty = concat(header, new byte[] {0x7F, (byte) 0xFF});
        assertThat(RedisHll.parse(empty).corrupt()).isFalse();
        assertThat(RedisHll.count(RedisHll.parse(empty).registers())).isZero();
        // one register too many, one too few, a VAL run past the end
        assertThat(RedisHll.parse(concat(empty, new byte[] {0})).corrupt()).isTrue();
        assertThat(RedisHll.parse(concat(header, new byte[] {0x7F, (byte) 0xFE})).corrupt()).isTrue();
        assertThat(RedisHll.parse(concat(header, new byte[] {0x7F, (byte) 0xFD, (byte) 0x83})).corrupt()).isTrue();
        // a valid cached cardinality is read (Redis answers it without recounting)
        byte[] cached = empty.clone();
        cached[8] = 42;
        cached[15] = 0;
        assertThat(RedisHll.parse(cached).cached()).isEqualTo(42);
    }

    private static byte[] concat(byte[] a, byte[] c) {
        byte[] out = new byte[a.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(c, 0, out, a.length, c.length);
        return out;
    }

    // ------------------------------------------------------------------ replies

    @Test
    void pfaddReportsWhetherAVisibleRegisterRoseAndAlwaysRecordsItsOwn() {
        HllValue a = new HllValue();
        HllValue.Change first = a.add(new byte[][] {b("a")}, 0, 1, 10, 1);
        assertThat(first.raisedVisible()).isTrue();
        HllValue.Change again = a.add(new byte[][] {b("a")}, 0, 1, 11, 1);
        assertThat(again.delta()).isNull();
        assertThat(again.raisedVisible()).isFalse();
        // replica 2 adds "a" too: no visible change, but its own contribution records it
        HllValue b = a.copy();
        HllValue.Change other = b.add(new byte[][] {b("a")}, 0, 1, 12, 2);
        assertThat(other.raisedVisible()).isFalse();
        assertThat(other.delta()).isNotNull();
        // PFADD with no element creates an empty live HLL: the key exists with count 0
        HllValue empty = new HllValue();
        HllValue.Change created = empty.add(new byte[0][], 0, 0, 10, 1);
        assertThat(created.delta()).isNotNull();
        assertThat(empty.isEmpty()).isFalse();
        assertThat(empty.count()).isZero();
    }

    // ------------------------------------------------------------------ conflicts, whole keys

    private static KeyState pfadd(KeyState k, String element, long hlc, long node) {
        HllValue.Change c = k.hllForWrite().add(new byte[][] {b(element)}, 0, 1, hlc, node);
        return c.delta() == null ? null : KeyState.wrap(c.delta());
    }

    private static long count(KeyState k) {
        return k.hll() == null ? 0 : k.hll().count();
    }

    @Test
    void aDelRemovesWhatBeganBeforeItAndNewIncarnationsConcurrentWithItSurvive() {
        KeyState a = new KeyState();
        KeyState b = new KeyState();
        KeyState c = new KeyState();
        KeyState seed = pfadd(a, "old", 10, 1);
        b.merge(seed);
        c.merge(seed);
        // B deletes at 20; concurrently A continues its incarnation (begun at 10) and C, which
        // had no contribution, starts one at 22
        KeyState del = b.delete(20, 2);
        KeyState continued = pfadd(a, "continued", 25, 1);
        KeyState started = pfadd(c, "started", 22, 3);
        for (KeyState k : new KeyState[] {a, b, c}) {
            k.merge(del);
            k.merge(continued);
            k.merge(started);
        }
        assertThat(a).isEqualTo(b);
        assertThat(b).isEqualTo(c);
        assertThat(CrdtCodec.encode(a)).isEqualTo(CrdtCodec.encode(c));
        // A's incarnation began before the DEL: gone, with the add it made after; C's survives
        assertThat(a.exists()).isTrue();
        assertThat(count(a)).isEqualTo(1);
        assertThat(a.hll().registers()).isEqualTo(registersOf("started"));
        // A's next PFADD starts a new incarnation, which survives
        KeyState next = pfadd(a, "next", 30, 1);
        b.merge(next);
        assertThat(count(b)).isEqualTo(2);
        // an old version of A's dead incarnation arriving late stays dead
        b.merge(continued);
        b.merge(seed);
        assertThat(b.hll().registers()).isEqualTo(registersOf("started", "next"));
    }

    @Test
    void anAddThatRaisedNoVisibleRegisterStillCountsOnceTheHolderOfThatRegisterIsDeleted() {
        KeyState a = new KeyState();
        KeyState b = new KeyState();
        KeyState c = new KeyState();
        KeyState seed = pfadd(a, "x", 10, 1);
        b.merge(seed);
        c.merge(seed);
        // C deletes at 20; concurrently B adds "x" again at 25: no visible register rises
        // (A's contribution holds it), but B's own contribution, begun after the DEL, records it
        KeyState del = c.delete(20, 3);
        HllValue.Change again = b.hllForWrite().add(new byte[][] {b("x")}, 0, 1, 25, 2);
        assertThat(again.raisedVisible()).isFalse();
        KeyState fromB = KeyState.wrap(again.delta());
        for (KeyState k : new KeyState[] {a, b, c}) {
            k.merge(del);
            k.merge(fromB);
        }
        assertThat(a).isEqualTo(c);
        assertThat(b).isEqualTo(c);
        assertThat(count(a)).isEqualTo(1);
        assertThat(a.hll().registers()).isEqualTo(registersOf("x"));
    }

    @Test
    void pfaddsAfterADelSurviveOnReplicasThatCollectedIt() {
        KeyState a = new KeyState();
        KeyState b = new KeyState();
        KeyState seed = pfadd(a, "x", 10, 1);
        b.merge(seed);
        KeyState del = a.delete(20, 1);
        b.merge(del);
        assertThat(a.exists()).isFalse();
        // everyone has everything up to 50: B collects the delete, A keeps it for now
        assertThat(b.gc(50)).isTrue();
        assertThat(b.isGarbage()).isTrue();
        KeyState fromB = pfadd(b, "y", 60, 2);
        KeyState fromA = pfadd(a, "z", 61, 1);
        a.merge(fromB);
        b.merge(fromA);
        assertThat(count(a)).isEqualTo(2);
        assertThat(count(b)).isEqualTo(2);
        a.gc(50);
        assertThat(a).isEqualTo(b);
        assertThat(CrdtCodec.encode(a)).isEqualTo(CrdtCodec.encode(b));
    }

    @Test
    void setOverAnHllReplacesItAndAStringHoldingAnHllCanBecomeOne() {
        KeyState k = new KeyState();
        pfadd(k, "a", 10, 1);
        assertThat(k.type()).isEqualTo(ValueType.HLL);
        assertThat(k.type().redisName()).isEqualTo("string");
        byte[] bytes = k.stringBytes();
        assertThat(RedisHll.parse(bytes).registers()).isEqualTo(registersOf("a"));
        k.setString(b("plain"), 0, 20, 1);
        assertThat(k.type()).isEqualTo(ValueType.STRING);
        assertThat(k.hll()).isNull();
        // a string holding an HLL encoding, with a TTL, becomes an HLL that keeps the TTL
        KeyState s = new KeyState();
        s.setString(bytes, 5_000_000, 30, 1);
        KeyState replaced = s.replaceValue(31, 1);
        HllValue.Change c = s.hllForWrite().mergeRegisters(RedisHll.parse(bytes).registers(), 32, 1);
        KeyState other = new KeyState();
        other.setString(bytes, 5_000_000, 30, 1);
        other.merge(replaced);
        other.merge(KeyState.wrap(c.delta()));
        assertThat(other).isEqualTo(s);
        assertThat(s.type()).isEqualTo(ValueType.HLL);
        assertThat(s.expireAtMs()).isEqualTo(5_000_000);
        assertThat(count(s)).isEqualTo(1);
    }

    @Test
    void theTypeWrittenLaterWinsAClashWithAnHll() {
        KeyState a = new KeyState();
        KeyState b = new KeyState();
        KeyState hll = pfadd(a, "a", 20, 1);
        KeyState set = KeyState.wrap(b.setForWrite().add(b("m"), 10, 2));
        a.merge(set);
        b.merge(hll);
        assertThat(a).isEqualTo(b);
        assertThat(a.type()).isEqualTo(ValueType.HLL);
    }

    @Test
    void memoryOfSmallAndLargeHlls() {
        HllValue small = new HllValue();
        small.add(elements("s", 10), 0, 10, 10, 1);
        HllValue large = new HllValue();
        large.add(elements("l", 100_000), 0, 100_000, 10, 1);
        assertThat(small.estimatedBytes()).isLessThan(300);
        assertThat(large.estimatedBytes()).isBetween(16_384L, 17_000L);
        CrdtWriter w = new CrdtWriter();
        small.encode(w);
        assertThat(w.size()).isLessThan(60);
        CrdtWriter wl = new CrdtWriter();
        large.encode(wl);
        assertThat(wl.size()).isLessThan(12_400);
        assertThat(HllValue.decode(new CrdtReader(wl.toByteArray()))).isEqualTo(large);
    }

    private static byte[] registersOf(String... elements) {
        byte[] r = new byte[RedisHll.REGISTERS];
        for (String e : elements) {
            int p = RedisHll.registerOf(b(e));
            r[p >>> 8] = (byte) Math.max(r[p >>> 8], p & 0xFF);
        }
        return r;
    }
}
