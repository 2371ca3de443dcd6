package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.crdt.codec.CrdtCodecException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The key-state codec: round trips, and hostile input only ever raises CrdtCodecException. */
class CrdtCodecProperties {

    /** States and deltas from a random history (every type, clashes, deletes, expiries). */
    private static List<KeyState> samples(long seed) {
        KeySim sim = new KeySim(seed, 3, KeyStateProperties.ALL);
        List<KeyState> out = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            KeyState d = sim.write(sim.random.nextInt(3));
            if (d != null) {
                out.add(d);
            }
            sim.deliverOne(false);
        }
        for (KeyState s : sim.states) {
            out.add(s);
        }
        return out;
    }

    @Property(tries = 300)
    void statesAndDeltasRoundTripCanonically(@ForAll long seed) {
        for (KeyState k : samples(seed)) {
            byte[] bytes = CrdtCodec.encode(k);
            KeyState back = CrdtCodec.decode(bytes);
            assertThat(back).isEqualTo(k);
            assertThat(CrdtCodec.encode(back)).isEqualTo(CrdtCodec.encode(CrdtCodec.decode(CrdtCodec.encode(back))));
            assertThat(back.type()).isEqualTo(k.type());
            assertThat(back.expireAtMs()).isEqualTo(k.expireAtMs());
        }
    }

    @Property(tries = 500)
    void arbitraryBytesOnlyRaiseTheCodecException(@ForAll @Size(max = 200) byte[] garbage) {
        decodeHostile(garbage);
        byte[] versioned = garbage.clone();
        if (versioned.length > 0) {
            versioned[0] = CrdtCodec.VERSION; // get past the version check
            decodeHostile(versioned);
        }
    }

    @Property(tries = 100)
    void truncatedAndMutatedEncodingsOnlyRaiseTheCodecException(@ForAll long seed) {
        Random random = new Random(seed);
        for (KeyState k : samples(seed)) {
            byte[] bytes = CrdtCodec.encode(k);
            // every cut of small encodings; of large ones (HyperLogLogs of thousands of elements)
            // every cut of the first 512 bytes, then about 500 spread over the rest
            for (int cut = 0; cut < bytes.length; cut += cut < 512 ? 1 : 1 + bytes.length / 500) {
                byte[] prefix = java.util.Arrays.copyOf(bytes, cut);
                assertThatThrownBy(() -> CrdtCodec.decode(prefix)).isInstanceOf(CrdtCodecException.class);
            }
            byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
            assertThatThrownBy(() -> CrdtCodec.decode(longer)).isInstanceOf(CrdtCodecException.class)
                    .hasMessageContaining("trailing");
            for (int m = 0; m < 20; m++) {
                byte[] mutated = bytes.clone();
                int flips = 1 + random.nextInt(3);
                for (int f = 0; f < flips; f++) {
                    int at = random.nextInt(mutated.length);
                    mutated[at] = (byte) (random.nextInt(4) == 0 ? 0xFF : random.nextInt(256));
                }
                decodeHostile(mutated);
            }
        }
    }

    @Test
    void unknownVersionsAndOversizedCountsAreRefused() {
        byte[] ok = CrdtCodec.encode(new KeyState());
        ok[0] = 2;
        assertThatThrownBy(() -> CrdtCodec.decode(ok)).isInstanceOf(CrdtCodecException.class).hasMessageContaining("version 2");
        // version 1, no parts, 1 value, string, flags=bytes, stamp, huge length
        byte[] huge = {1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F};
        assertThatThrownBy(() -> CrdtCodec.decode(huge)).isInstanceOf(CrdtCodecException.class).hasMessageContaining("exceeds");
        byte[] empty = {};
        assertThatThrownBy(() -> CrdtCodec.decode(empty)).isInstanceOf(CrdtCodecException.class);
    }

    @Test
    void aPlainStringKeyIsSmallOnTheWire() {
        KeyState k = new KeyState();
        KeyState d = k.setString(KeySim.b("hello"), 0, Hlc.pack(1_700_000_000_000L, 0), 7);
        // version, parts, count, type, flags, 8-byte HLC, node, length, 5 bytes
        assertThat(CrdtCodec.encode(d)).hasSize(1 + 1 + 1 + 1 + 1 + 8 + 1 + 1 + 5);
    }

    /**
     * A plain string, the commonest state, is encoded and decoded by a shortcut: the same bytes
     * the general path writes (a {@link StringValue} in a one-value list) and the same state it
     * reads (as when the count is written in a longer varint, which the shortcut leaves to it).
     */
    @Property(tries = 300)
    void plainStringsTakeAShortcutToTheSameBytesAndState(@ForAll @Size(max = 300) byte[] value,
                                                        @ForAll long seed) {
        Random random = new Random(seed);
        long hlc = random.nextLong() & Long.MAX_VALUE;
        long node = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(8);
            case 1 -> Stamp.MIN_NODE;
            default -> random.nextLong() & Long.MAX_VALUE & ~CrdtCodec.MIN_NODE_WIRE;
        };
        KeyState plain = new KeyState().setString(value, 0, hlc, node);
        assertThat(plain.isPlainString()).isTrue();

        io.converge.crdt.codec.CrdtWriter general = new io.converge.crdt.codec.CrdtWriter();
        general.writeByte(CrdtCodec.VERSION).writeVarInt(0).writeVarInt(1).writeByte(ValueType.STRING.code());
        new StringValue(value, hlc, node).encode(general);
        byte[] bytes = CrdtCodec.encode(plain);
        assertThat(bytes).isEqualTo(general.toByteArray());

        KeyState back = CrdtCodec.decode(bytes);
        assertThat(back.isPlainString()).isTrue();
        assertThat(back).isEqualTo(plain);
        assertThat(back.stringBytes()).isEqualTo(value);
        assertThat(back.lastWriteHlc()).isEqualTo(hlc);
        assertThat(back.lastWriteNode()).isEqualTo(node);

        byte[] longCount = new byte[bytes.length + 1];
        longCount[0] = bytes[0];
        longCount[1] = bytes[1];
        longCount[2] = (byte) 0x81; // 1 as a two-byte varint: not the shortcut's
        longCount[3] = 0;
        System.arraycopy(bytes, 3, longCount, 4, bytes.length - 3);
        KeyState viaGeneral = CrdtCodec.decode(longCount);
        assertThat(viaGeneral).isEqualTo(back);
        assertThat(CrdtCodec.encode(viaGeneral)).isEqualTo(bytes);

        for (int cut = 0; cut < bytes.length; cut++) {
            byte[] truncated = java.util.Arrays.copyOf(bytes, cut);
            assertThatThrownBy(() -> CrdtCodec.decode(truncated)).isInstanceOf(CrdtCodecException.class);
        }
        byte[] trailing = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> CrdtCodec.decode(trailing)).isInstanceOf(CrdtCodecException.class);
    }

    /**
     * Decodes hostile bytes: only CrdtCodecException may escape; a state that does decode must
     * then be usable (read, merged both ways, re-encoded) without any exception.
     */
    private static void decodeHostile(byte[] input) {
        KeyState decoded;
        try {
            decoded = CrdtCodec.decode(input);
        } catch (CrdtCodecException expected) {
            return;
        }
        decoded.type();
        decoded.stringBytes();
        decoded.expireAtMs();
        KeyState copy = decoded.copy();
        KeyState other = new KeyState();
        other.setString(KeySim.b("1"), 0, 5, 1);
        other.merge(decoded);
        copy.merge(other);
        CrdtCodec.encode(copy);
        CrdtCodec.encode(decoded);
    }
}
