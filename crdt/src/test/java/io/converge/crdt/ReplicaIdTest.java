package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.crdt.codec.CrdtCodecException;
import io.converge.crdt.codec.CrdtReader;
import io.converge.crdt.codec.CrdtWriter;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Replica ids are {@code long}s: an incarnation of a node, {@code (epoch << 16) | nodeId}, is a
 * replica of its own (its dots and counter contributions never mix with an earlier incarnation's),
 * ids beyond 32 bits order and encode exactly, and the purge watermark's node stays below them all.
 */
class ReplicaIdTest {

    private static final long EPOCH = 1_700_000_000_000L;

    private static long id(long epoch, int node) {
        return epoch << 16 | node;
    }

    private static byte[] b(String s) {
        return KeySim.b(s);
    }

    @Test
    void idsBeyond32BitsOrderAsLongs() {
        long big = id(EPOCH, 1);
        long wide = 1L << 32 | 0x8000_0001L;
        assertThat((int) wide).as("negative as an int").isNegative();
        assertThat(Stamp.compare(10, wide, 10, 2)).isPositive();
        assertThat(Stamp.compare(10, big, 10, Integer.MAX_VALUE)).isPositive();
        assertThat(Stamp.compare(10, id(EPOCH, 1), 10, id(EPOCH + 1, 0))).isNegative();
        assertThat(Stamp.compare(10, Stamp.MIN_NODE, 10, 0)).isNegative();
        assertThat(new Dot(big, 1)).isGreaterThan(new Dot(Integer.MAX_VALUE, 9));
    }

    @Test
    void twoIncarnationsOfOneNodeHaveTheirOwnDots() {
        long old = id(EPOCH, 3);
        long fresh = id(EPOCH + 60_000, 3);
        SetValue a = new SetValue();
        a.add(b("x"), 10, old);
        SetValue b = new SetValue(); // the node restarted without its state: a new incarnation
        SetValue d = b.add(b("y"), 20, fresh);
        assertThat(d.context().contains(fresh, 1)).isTrue();
        assertThat(d.context().contains(old, 1)).isFalse();
        a.merge(d);
        assertThat(a.contains(b("x"))).isTrue();
        assertThat(a.contains(b("y"))).isTrue();
        assertThat(a.context().nodeCount()).isEqualTo(2);
        assertThat(a.context().nodeAt(0)).isEqualTo(old);
        assertThat(a.context().nodeAt(1)).isEqualTo(fresh);

        KeyState k = new KeyState();
        k.merge(new KeyState().incrBy(5, 10, old));
        k.merge(new KeyState().incrBy(7, 20, fresh));
        assertThat(k.string().longValue()).as("both incarnations' contributions count").isEqualTo(12);
    }

    @Test
    void largeIdsSurviveTheCodecEverywhere() {
        long x = id(EPOCH, 65_535);
        long y = Long.MAX_VALUE;
        KeyState k = new KeyState();
        k.merge(KeyState.wrap(k.zsetForWrite().add(b("m"), 1, 10, x)));
        k.merge(KeyState.wrap(k.zsetForWrite().incrBy(b("m"), 2, 11, y)));
        k.expire(99_999, 12, y);
        KeyState back = CrdtCodec.decode(CrdtCodec.encode(k));
        assertThat(back).isEqualTo(k);
        assertThat(back.zset().score(b("m"))).isEqualTo(3.0);
        assertThat(back.zset().context().nodeAt(1)).isEqualTo(y);
        assertThat(CrdtCodec.encode(back)).isEqualTo(CrdtCodec.encode(k));
    }

    @Test
    void nodesUpTo31BitsKeepTheVarintBytesOfTheIntBuild() {
        for (long node : new long[] {0, 1, 127, 128, 65_535, Integer.MAX_VALUE}) {
            CrdtWriter mine = new CrdtWriter();
            CrdtCodec.writeNode(mine, node);
            CrdtWriter old = new CrdtWriter();
            old.writeVarInt((int) node);
            assertThat(mine.toByteArray()).isEqualTo(old.toByteArray());
            assertThat(CrdtCodec.readNode(new CrdtReader(old.toByteArray()))).isEqualTo(node);
        }
        // The purge watermark's node: the bytes the int build wrote for Integer.MIN_VALUE.
        CrdtWriter old = new CrdtWriter();
        old.writeVarInt(Integer.MIN_VALUE);
        assertThat(HexFormat.of().formatHex(old.toByteArray())).isEqualTo("8080808008");
        assertThat(CrdtCodec.readNode(new CrdtReader(old.toByteArray()))).isEqualTo(Stamp.MIN_NODE);
        CrdtWriter mine = new CrdtWriter();
        CrdtCodec.writeNode(mine, Stamp.MIN_NODE);
        assertThat(mine.toByteArray()).isEqualTo(old.toByteArray());
    }

    @Test
    void negativeIdsAndTheReservedVarintAreRefused() {
        assertThatThrownBy(() -> CrdtCodec.writeNode(new CrdtWriter(), -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CrdtCodec.writeNode(new CrdtWriter(), CrdtCodec.MIN_NODE_WIRE))
                .isInstanceOf(IllegalArgumentException.class);
        CrdtWriter w = new CrdtWriter();
        w.writeVarLong(-5);
        assertThatThrownBy(() -> CrdtCodec.readNode(new CrdtReader(w.toByteArray()))).isInstanceOf(CrdtCodecException.class);
    }

    @Test
    void aPurgeWatermarkLosesEveryTieWithALongId() {
        KeyState k = new KeyState();
        k.setString(b("v"), 1_000, Hlc.pack(500, 0), id(EPOCH, 1));
        KeyState purge = k.purgeExpired(1_001);
        assertThat(purge).isNotNull();
        KeyState d = new KeyState().setString(b("w"), 0, Hlc.pack(1_000, 0), 0); // node 0, at the HLC of the watermark
        k.merge(d);
        assertThat(k.stringBytes()).isEqualTo(b("w"));
        assertThat(CrdtCodec.decode(CrdtCodec.encode(purge))).isEqualTo(purge);
    }

    /** Histories where replicas are incarnations: one node twice (old and new epoch), ids past 32 bits. */
    @Property(tries = 200)
    void incarnationsConvergeAndEncodeCanonically(@ForAll long seed, @ForAll @IntRange(min = 3, max = 4) int replicas) {
        long[] ids = {id(EPOCH, 1), id(EPOCH + 5_000, 1), id(EPOCH, 2), 7};
        KeySim sim = new KeySim(seed, replicas, KeyStateProperties.ALL).withReplicaIds(ids);
        sim.run(100);
        sim.deliverAll();
        sim.assertConverged();
        for (int r = 0; r < replicas; r++) {
            sim.states[0].merge(sim.states[r]);
        }
        for (int r = 1; r < replicas; r++) {
            sim.states[r].merge(sim.states[0]);
            assertThat(CrdtCodec.encode(sim.states[r])).isEqualTo(CrdtCodec.encode(sim.states[0]));
        }
        byte[] bytes = CrdtCodec.encode(sim.states[0]);
        KeyState back = CrdtCodec.decode(bytes);
        assertThat(back).isEqualTo(sim.states[0]);
        assertThat(CrdtCodec.encode(back)).isEqualTo(bytes);
    }
}
